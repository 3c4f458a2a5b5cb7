"""Issue 15 (answers a business can trust: strictness, website import): UI strings and server messages in RU."""

from __future__ import annotations

ANSWERS_UI: dict[str, dict[str, str]] = {
    "websites": {"en": "Websites", "ru": "Сайты"},
    "website_hint": {
        "en": "Import a website: its pages become documents, with their address as the source link. The crawl stays "
        "on the site, obeys robots.txt and asks one page per second.",
        "ru": "Импорт сайта: его страницы станут документами, а их адрес — ссылкой на источник. Обход не уходит с "
        "сайта, соблюдает robots.txt и запрашивает одну страницу в секунду.",
    },
    "website_url": {"en": "Start page or sitemap address", "ru": "Адрес стартовой страницы или карты сайта"},
    "website_max_pages": {"en": "Pages at most", "ru": "Не больше страниц"},
    "website_depth": {"en": "Link depth", "ru": "Глубина ссылок"},
    "website_recrawl": {"en": "Re-crawl every", "ru": "Обходить заново каждые"},
    "website_import": {"en": "Import", "ru": "Импортировать"},
    "website_recrawl_now": {"en": "Re-crawl", "ru": "Обойти заново"},
    "website_pages": {"en": "pages", "ru": "страниц"},
    "website_changes": {"en": "added / changed / removed", "ru": "добавлено / изменено / удалено"},
    "website_empty": {"en": "No websites imported yet", "ru": "Сайты ещё не импортированы"},
    "website_delete": {"en": "Remove the website?", "ru": "Удалить сайт?"},
    "website_delete_what": {
        "en": "every page imported from it leaves the knowledge base.",
        "ru": "все импортированные с него страницы будут удалены из базы знаний.",
    },
    "recrawl.0": {"en": "on demand only", "ru": "только вручную"},
    "recrawl.24": {"en": "day", "ru": "день"},
    "recrawl.168": {"en": "week", "ru": "неделю"},
    "site.pending": {"en": "queued", "ru": "в очереди"},
    "site.crawling": {"en": "crawling", "ru": "обход"},
    "site.ready": {"en": "ready", "ru": "готов"},
    "site.failed": {"en": "failed", "ru": "ошибка"},
    "strictness": {"en": "Answer only when sure", "ru": "Отвечать, только если уверен"},
    "strictness_hint": {
        "en": "How sure the knowledge must be before the assistant answers from it; otherwise it says it does not "
        "know and, after a few misses, calls a person.",
        "ru": "Насколько уверенно база знаний должна отвечать на вопрос, чтобы ассистент ответил; иначе он "
        "говорит, что не знает, а после нескольких промахов зовёт человека.",
    },
    "strictness.strict": {"en": "strict (fewer wrong answers)", "ru": "строго (меньше неверных ответов)"},
    "strictness.balanced": {"en": "balanced", "ru": "сбалансированно"},
    "strictness.lenient": {"en": "lenient (answers more often)", "ru": "мягко (отвечает чаще)"},
}

ANSWERS_MESSAGES_RU: dict[str, str] = {
    "Website not found": "Сайт не найден",
    "an http:// or https:// address of a website": "адрес сайта, начинающийся с http:// или https://",
    "private and local addresses cannot be imported": "частные и локальные адреса импортировать нельзя",
    "a sitemap on the same website": "карта того же сайта",
    "1 to 500 pages": "от 1 до 500 страниц",
    "0 to 5 links deep": "глубина от 0 до 5 ссылок",
    "0 (never) to 2160 hours": "от 0 (никогда) до 2160 часов",
    "strict, balanced or lenient": "strict, balanced или lenient",
    "This website is already imported; re-crawl it instead": "Этот сайт уже импортирован; обойдите его заново",
    "This website is being crawled already": "Этот сайт уже обходится",
    "no page could be read (robots.txt, errors or an empty site)": (
        "не удалось прочитать ни одной страницы (robots.txt, ошибки или пустой сайт)"
    ),
}
