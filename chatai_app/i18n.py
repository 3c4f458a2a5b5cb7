"""UI strings in English and Russian (pure data, used by components and states)."""

from __future__ import annotations

import re
from collections.abc import Callable

LANGUAGES = ("en", "ru")

UI: dict[str, dict[str, str]] = {
    "app_name": {"en": "ChatAI", "ru": "ChatAI"},
    "tagline": {
        "en": "AI assistants for Telegram and your website, with live operators",
        "ru": "ИИ-ассистенты для Telegram и сайта с живыми операторами",
    },
    "sign_in": {"en": "Sign in", "ru": "Войти"},
    "sign_up": {"en": "Create account", "ru": "Создать аккаунт"},
    "sign_out": {"en": "Sign out", "ru": "Выйти"},
    "email": {"en": "Email", "ru": "Эл. почта"},
    "password": {"en": "Password", "ru": "Пароль"},
    "full_name": {"en": "Your name", "ru": "Ваше имя"},
    "workspace_name": {"en": "Company or workspace", "ru": "Компания или рабочее пространство"},
    "no_account": {"en": "No account yet?", "ru": "Ещё нет аккаунта?"},
    "have_account": {"en": "Already have an account?", "ru": "Уже есть аккаунт?"},
    "dashboard": {"en": "Dashboard", "ru": "Панель"},
    "profile": {"en": "Profile", "ru": "Профиль"},
    "welcome": {"en": "Welcome", "ru": "Добро пожаловать"},
    "workspace": {"en": "Workspace", "ru": "Рабочее пространство"},
    "role": {"en": "Role", "ru": "Роль"},
    "language": {"en": "Language", "ru": "Язык"},
    "save": {"en": "Save", "ru": "Сохранить"},
    "saved": {"en": "Saved", "ru": "Сохранено"},
    "current_password": {"en": "Current password", "ru": "Текущий пароль"},
    "new_password": {"en": "New password", "ru": "Новый пароль"},
    "change_password": {"en": "Change password", "ru": "Сменить пароль"},
    "password_changed": {"en": "Password changed", "ru": "Пароль изменён"},
    "next_steps": {"en": "Next steps", "ru": "Что дальше"},
    "step_assistant": {"en": "Create an assistant", "ru": "Создайте ассистента"},
    "step_knowledge": {"en": "Upload knowledge", "ru": "Загрузите базу знаний"},
    "step_channels": {"en": "Connect Telegram or the website widget", "ru": "Подключите Telegram или виджет сайта"},
    "admin_badge": {"en": "Platform admin", "ru": "Администратор платформы"},
    "api_docs": {"en": "API documentation", "ru": "Документация API"},
    "assistants": {"en": "Assistants", "ru": "Ассистенты"},
    "new_assistant": {"en": "New assistant", "ru": "Новый ассистент"},
    "assistant_name": {"en": "Assistant name", "ru": "Имя ассистента"},
    "create": {"en": "Create", "ru": "Создать"},
    "no_assistants": {"en": "No assistants yet.", "ru": "Ассистентов пока нет."},
    "knowledge": {"en": "Knowledge", "ru": "База знаний"},
    "documents": {"en": "Documents", "ru": "Документы"},
    "upload_hint": {
        "en": "Drop PDF, DOCX, TXT or MD files here (up to 10 MB each), or click to choose",
        "ru": "Перетащите файлы PDF, DOCX, TXT или MD (до 10 МБ) или нажмите, чтобы выбрать",
    },
    "upload": {"en": "Upload", "ru": "Загрузить"},
    "file": {"en": "File", "ru": "Файл"},
    "status": {"en": "Status", "ru": "Статус"},
    "chunks": {"en": "Chunks", "ru": "Фрагменты"},
    "reindex": {"en": "Re-index", "ru": "Переиндексировать"},
    "delete": {"en": "Delete", "ru": "Удалить"},
    "qa_pairs": {"en": "Questions and answers", "ru": "Вопросы и ответы"},
    "question": {"en": "Question", "ru": "Вопрос"},
    "answer": {"en": "Answer", "ru": "Ответ"},
    "add": {"en": "Add", "ru": "Добавить"},
    "import_csv": {"en": "Import CSV (question,answer)", "ru": "Импорт CSV (вопрос,ответ)"},
    "test_search": {"en": "Test retrieval", "ru": "Проверить поиск"},
    "search": {"en": "Search", "ru": "Найти"},
    "not_found": {"en": "Not found", "ru": "Не найдено"},
    "back": {"en": "Back", "ru": "Назад"},
    "playground": {"en": "Playground", "ru": "Песочница"},
    "name": {"en": "Name", "ru": "Имя"},
    "telegram_bots": {"en": "Telegram bots", "ru": "Telegram-боты"},
    "bot_token": {"en": "Bot token from @BotFather", "ru": "Токен бота от @BotFather"},
    "connect": {"en": "Connect", "ru": "Подключить"},
    "remove_bot": {"en": "Remove bot", "ru": "Удалить бота"},
    "remove_bot_confirm": {
        "en": "It stops answering at once and Telegram stops sending it messages. Its dialogs stay.",
        "ru": "Бот сразу перестанет отвечать, Telegram перестанет присылать ему сообщения. Диалоги сохранятся.",
    },
    "cancel": {"en": "Cancel", "ru": "Отмена"},
    "settings": {"en": "Settings", "ru": "Настройки"},
    "message_placeholder": {"en": "Ask something…", "ru": "Задайте вопрос…"},
    "send": {"en": "Send", "ru": "Отправить"},
    "new_chat": {"en": "New conversation", "ru": "Новый диалог"},
    "sources": {"en": "Sources", "ru": "Источники"},
    "dialogs": {"en": "Dialogs", "ru": "Диалоги"},
    "all": {"en": "All", "ru": "Все"},
    "channel": {"en": "Channel", "ru": "Канал"},
    "assistant": {"en": "Assistant", "ru": "Ассистент"},
    "search_text": {"en": "Search messages", "ru": "Поиск по сообщениям"},
    "no_dialogs": {"en": "No dialogs match.", "ru": "Нет подходящих диалогов."},
    "transcript": {"en": "Transcript", "ru": "Переписка"},
    "from_date": {"en": "From", "ru": "С"},
    "to_date": {"en": "To", "ru": "По"},
    "system_prompt": {"en": "System prompt", "ru": "Системный промпт"},
    "tone": {"en": "Tone", "ru": "Тон"},
    "provider": {"en": "Provider", "ru": "Провайдер"},
    "model": {"en": "Model", "ru": "Модель"},
    "temperature": {"en": "Temperature", "ru": "Температура"},
    "max_tokens": {"en": "Max tokens", "ru": "Макс. токенов"},
    "knowledge_enabled": {"en": "Answer from the knowledge base", "ru": "Отвечать по базе знаний"},
    "citations_enabled": {"en": "Show sources", "ru": "Показывать источники"},
    "greeting": {"en": "Greeting", "ru": "Приветствие"},
    "handoff_keywords": {
        "en": "Handoff keywords (comma-separated)",
        "ru": "Слова для вызова оператора (через запятую)",
    },
    "on_llm_failure": {"en": "When the model is unavailable", "ru": "Если модель недоступна"},
    "billing": {"en": "Billing", "ru": "Оплата"},
    "month": {"en": "month", "ru": "месяц"},
    "current_plan": {"en": "Current plan", "ru": "Текущий тариф"},
    "choose": {"en": "Choose", "ru": "Выбрать"},
    "balance": {"en": "Balance", "ru": "Баланс"},
    "top_up": {"en": "Top up", "ru": "Пополнить"},
    "payments_off": {
        "en": "Online payments are not configured; the administrator can top you up.",
        "ru": "Онлайн-оплата не настроена; баланс может пополнить администратор.",
    },
    "promo_code": {"en": "Promo code", "ru": "Промокод"},
    "apply": {"en": "Apply", "ru": "Применить"},
    "plan": {"en": "Plan", "ru": "Тариф"},
    "spend_30_days": {"en": "Spent per day, last 30 days", "ru": "Расход по дням за 30 дней"},
    "transactions": {"en": "Transactions", "ru": "Операции"},
    "export_csv": {"en": "Export CSV", "ru": "Выгрузить CSV"},
    "date": {"en": "Date", "ru": "Дата"},
    "type": {"en": "Type", "ru": "Тип"},
    "amount": {"en": "Amount", "ru": "Сумма"},
    "balance_after": {"en": "Balance after", "ru": "Баланс после"},
    "reference": {"en": "Reference", "ru": "Основание"},
    "admin_billing": {"en": "Pricing and balances", "ru": "Цены и балансы"},
    "pricing": {"en": "Pricing settings", "ru": "Настройки цен"},
    "pricing_help": {
        "en": "All amounts in roubles (₽), e.g. 1.50.",
        "ru": "Все суммы в рублях (₽), например 1,50.",
    },
    "adjust_balance": {"en": "Adjust a balance", "ru": "Изменить баланс"},
    "owner_email": {"en": "Workspace owner's e-mail", "ru": "E-mail владельца"},
    "reason": {"en": "Reason", "ru": "Причина"},
    "promo_codes": {"en": "Promo codes", "ru": "Промокоды"},
    "promo_value": {"en": "Amount, ₽, or percent", "ru": "Сумма, ₽, или процент"},
    "max_uses": {"en": "Max uses (empty: no limit)", "ru": "Макс. использований (пусто: без лимита)"},
    "inbox": {"en": "Inbox", "ru": "Входящие"},
    "queue": {"en": "Queue", "ru": "Очередь"},
    "my_dialogs": {"en": "Mine", "ru": "Мои"},
    "active": {"en": "Active", "ru": "Активные"},
    "queue_size": {"en": "Waiting for an operator", "ru": "Ждут оператора"},
    "nothing_here": {"en": "Nothing here.", "ru": "Пока пусто."},
    "take": {"en": "Take", "ru": "Взять"},
    "release_to_ai": {"en": "Release to AI", "ru": "Вернуть ИИ"},
    "close_dialog": {"en": "Close", "ru": "Закрыть"},
    "visitor_typing": {"en": "The user is typing…", "ru": "Пользователь печатает…"},
    "internal_note": {"en": "Internal note", "ru": "Внутренняя заметка"},
    "canned_replies": {"en": "Canned replies", "ru": "Шаблоны ответов"},
    "note_placeholder": {
        "en": "A note for colleagues (the user never sees it)",
        "ru": "Заметка для коллег (пользователь её не увидит)",
    },
    "reply_placeholder": {"en": "Reply to the user…", "ru": "Ответ пользователю…"},
    "add_note": {"en": "Add note", "ru": "Добавить заметку"},
    "pick_dialog": {"en": "Pick a dialog on the left.", "ru": "Выберите диалог слева."},
    "my_status": {"en": "My status", "ru": "Мой статус"},
    "colleagues": {"en": "Colleagues", "ru": "Коллеги"},
    "no_colleagues": {"en": "No colleagues yet.", "ru": "Коллег пока нет."},
    "title": {"en": "Title", "ru": "Название"},
    "text": {"en": "Text", "ru": "Текст"},
    "widget": {"en": "Website widget", "ru": "Виджет для сайта"},
    "embed_code": {"en": "Paste this on your site, before </body>:", "ru": "Вставьте на сайт перед </body>:"},
    "allowed_origins": {
        "en": "Allowed sites (one per line; empty: any site)",
        "ru": "Разрешённые сайты (по одному в строке; пусто: любые)",
    },
    "widget_title": {"en": "Widget title", "ru": "Заголовок виджета"},
    "widget_colour": {"en": "Colour", "ru": "Цвет"},
    "widget_position": {"en": "Position", "ru": "Положение"},
    "widget_language": {"en": "Widget language", "ru": "Язык виджета"},
    "handoff_button": {"en": "“Talk to a human” button", "ru": "Кнопка «Позвать оператора»"},
    "handoff_rules": {"en": "Handoff to operators", "ru": "Передача операторам"},
    "fallback_after": {
        "en": "Call a human after N unanswered replies (0: never)",
        "ru": "Звать оператора после N ответов без ответа (0: никогда)",
    },
    "repeat_detection": {
        "en": "Call a human when the user repeats the question",
        "ru": "Звать оператора, если вопрос повторяют",
    },
    "wait_timeout_s": {"en": "Wait for an operator, seconds", "ru": "Ожидание оператора, секунд"},
    "on_timeout": {"en": "If nobody takes it", "ru": "Если никто не взял"},
    "priority": {"en": "Queue priority", "ru": "Приоритет в очереди"},
    "open_chat_page": {"en": "Open the chat page", "ru": "Открыть страницу чата"},
    # App shell
    "nav_conversations": {"en": "Conversations", "ru": "Общение"},
    "nav_build": {"en": "Build", "ru": "Настройка"},
    "nav_account": {"en": "Account", "ru": "Аккаунт"},
    "menu": {"en": "Menu", "ru": "Меню"},
    "presence": {"en": "Presence", "ru": "Статус"},
    "api_docs_short": {"en": "API docs", "ru": "Документация API"},
    # Enumerations shown to users (values come from the server; see components.i18n.enum_label)
    "role.owner": {"en": "owner", "ru": "владелец"},
    "role.admin": {"en": "admin", "ru": "администратор"},
    "role.operator": {"en": "operator", "ru": "оператор"},
    "dialog.ai": {"en": "AI", "ru": "ИИ"},
    "dialog.waiting": {"en": "waiting", "ru": "ждёт"},
    "dialog.operator": {"en": "with operator", "ru": "у оператора"},
    "dialog.closed": {"en": "closed", "ru": "закрыт"},
    "doc.ready": {"en": "ready", "ru": "готов"},
    "doc.failed": {"en": "failed", "ru": "ошибка"},
    "doc.processing": {"en": "processing", "ru": "обработка"},
    "doc.pending": {"en": "queued", "ru": "в очереди"},
    "channel.telegram": {"en": "Telegram", "ru": "Telegram"},
    "channel.widget": {"en": "website", "ru": "сайт"},
    "channel.api": {"en": "API", "ru": "API"},
    "channel.playground": {"en": "playground", "ru": "песочница"},
    "tx.charge": {"en": "charge", "ru": "списание"},
    "tx.refund": {"en": "refund", "ru": "возврат"},
    "tx.topup": {"en": "top-up", "ru": "пополнение"},
    "tx.welcome_bonus": {"en": "welcome bonus", "ru": "приветственный бонус"},
    "tx.promo": {"en": "promo code", "ru": "промокод"},
    "tx.adjustment": {"en": "adjustment", "ru": "корректировка"},
    "tone.friendly": {"en": "friendly", "ru": "дружелюбный"},
    "tone.formal": {"en": "formal", "ru": "официальный"},
    "tone.concise": {"en": "concise", "ru": "краткий"},
    "tone.playful": {"en": "playful", "ru": "игривый"},
    "tone.neutral": {"en": "neutral", "ru": "нейтральный"},
    "lang.auto": {"en": "automatic", "ru": "автоматически"},
    "lang.en": {"en": "English", "ru": "английский"},
    "lang.ru": {"en": "Russian", "ru": "русский"},
    "provider.offline": {"en": "offline (no key)", "ru": "офлайн (без ключа)"},
    "provider.openai": {"en": "OpenAI-compatible", "ru": "совместимый с OpenAI"},
    "failure.apology": {"en": "apologise", "ru": "извиниться"},
    "failure.handoff": {"en": "hand off to an operator", "ru": "передать оператору"},
    "timeout.ai": {"en": "the AI resumes", "ru": "отвечает ИИ"},
    "timeout.offline_form": {"en": "offer the contact form", "ru": "предложить форму контакта"},
    "position.left": {"en": "left", "ru": "слева"},
    "position.right": {"en": "right", "ru": "справа"},
    "presence.online": {"en": "online", "ru": "в сети"},
    "presence.away": {"en": "away", "ru": "отошёл"},
    "presence.offline": {"en": "offline", "ru": "не в сети"},
    "msg.user": {"en": "visitor", "ru": "посетитель"},
    "msg.assistant": {"en": "AI", "ru": "ИИ"},
    "msg.operator": {"en": "operator", "ru": "оператор"},
    "msg.note": {"en": "note", "ru": "заметка"},
    "msg.system": {"en": "notice", "ru": "уведомление"},
    "plan.free": {"en": "Free", "ru": "Бесплатный"},
    "plan.pro": {"en": "Pro", "ru": "Профи"},
    "plan.business": {"en": "Business", "ru": "Бизнес"},
    "plan.enterprise": {"en": "Enterprise", "ru": "Корпоративный"},
    "limit.assistants": {"en": "assistants", "ru": "ассистентов"},
    "limit.bots": {"en": "Telegram bots", "ru": "Telegram-ботов"},
    "limit.documents": {"en": "documents", "ru": "документов"},
    "limit.messages_per_month": {"en": "AI messages a month", "ru": "ответов ИИ в месяц"},
    "promo.amount": {"en": "amount in ₽", "ru": "сумма в ₽"},
    "promo.percent": {"en": "percent of the next top-up", "ru": "процент к пополнению"},
    "zero.stop": {"en": "stop replying", "ru": "прекратить ответы"},
    "zero.handoff": {"en": "hand off to operators", "ru": "передать операторам"},
    # Inbox
    "waiting": {"en": "waiting", "ru": "ждут"},
    "unit_s": {"en": "s", "ru": "с"},
    "unit_min": {"en": "min", "ru": "мин"},
    "visitor": {"en": "Visitor", "ru": "Посетитель"},
    "details": {"en": "Details", "ru": "Подробности"},
    "earlier_dialogs": {"en": "Earlier dialogs", "ru": "Прошлые диалоги"},
    "no_earlier_dialogs": {"en": "No earlier dialogs.", "ru": "Прошлых диалогов нет."},
    "contact": {"en": "Contact", "ru": "Контакт"},
    "operator_label": {"en": "Operator", "ru": "Оператор"},
    "new_messages": {"en": "New messages ↓", "ru": "Новые сообщения ↓"},
    "composer_hint": {
        "en": "Enter to send, Shift+Enter for a new line, / for canned replies",
        "ru": "Enter — отправить, Shift+Enter — новая строка, / — шаблоны",
    },
    "inbox_empty_queue": {
        "en": "Nobody is waiting. New requests appear here with a sound.",
        "ru": "Никто не ждёт. Новые обращения появятся здесь со звуком.",
    },
    "inbox_pick_hint": {
        "en": "Pick a conversation on the left to read and answer it.",
        "ru": "Выберите разговор слева, чтобы прочитать его и ответить.",
    },
    "manage_canned": {"en": "Manage canned replies", "ru": "Управление шаблонами"},
    "to_list": {"en": "Conversations", "ru": "Разговоры"},
    "sending": {"en": "Sending…", "ru": "Отправка…"},
    "page_label": {"en": "page", "ru": "страница"},
    "assigned_to": {"en": "Assigned to", "ru": "Ведёт"},
    # Dialogs
    "dialogs_empty": {
        "en": "No dialogs match. Clear the filters, or try the assistant in its playground.",
        "ru": "Нет подходящих диалогов. Сбросьте фильтры или проверьте ассистента в песочнице.",
    },
    "clear_filters": {"en": "Clear filters", "ru": "Сбросить фильтры"},
    "pick_dialog_read": {
        "en": "Pick a dialog to read its transcript.",
        "ru": "Выберите диалог, чтобы прочитать переписку.",
    },
    "open_in_inbox": {"en": "Open in the inbox", "ru": "Открыть во входящих"},
    "filters": {"en": "Filters", "ru": "Фильтры"},
    # Assistants
    "archive": {"en": "Archive", "ru": "В архив"},
    "restore": {"en": "Restore", "ru": "Вернуть из архива"},
    "archived": {"en": "archived", "ru": "в архиве"},
    "delete_assistant": {"en": "Delete the assistant?", "ru": "Удалить ассистента?"},
    "delete_assistant_what": {
        "en": "Deleted with it, for good: its documents, Q&A pairs and Telegram bots (disconnected), and its "
        "dialogs with their transcripts. Billing history is kept. To keep the dialogs, archive it instead: an "
        "archived assistant stops answering but keeps everything (and still counts toward your plan).",
        "ru": "Вместе с ним навсегда удаляются его документы, вопросы и ответы, Telegram-боты (будут отключены) "
        "и диалоги с перепиской. История оплат сохраняется. Чтобы сохранить диалоги, отправьте его в архив: "
        "ассистент в архиве не отвечает, но всё хранит (и учитывается в тарифе).",
    },
    "will_be_deleted": {"en": "Will be deleted", "ru": "Будет удалено"},
    "no_assistants_next": {
        "en": "No assistants yet. Create the first one: give it a name above, then upload what it should know.",
        "ru": "Ассистентов пока нет. Создайте первого: введите имя выше, затем загрузите то, что он должен знать.",
    },
    "assistant_deleted": {"en": "Assistant deleted", "ru": "Ассистент удалён"},
    "assistant_archived": {"en": "Assistant archived", "ru": "Ассистент в архиве"},
    "assistant_restored": {"en": "Assistant restored", "ru": "Ассистент возвращён"},
    # Knowledge
    "delete_document": {"en": "Delete the document?", "ru": "Удалить документ?"},
    "delete_document_what": {
        "en": "The file and its indexed passages are removed; the assistant stops citing it.",
        "ru": "Файл и его проиндексированные фрагменты будут удалены; ассистент перестанет на него ссылаться.",
    },
    "choose_file_first": {"en": "Choose a file first", "ru": "Сначала выберите файл"},
    "documents_empty": {
        "en": "No documents yet. Drop a file above: the assistant answers from it in a minute.",
        "ru": "Документов пока нет. Перетащите файл выше — через минуту ассистент начнёт по нему отвечать.",
    },
    # Settings
    "copy": {"en": "Copy", "ru": "Копировать"},
    "copied": {"en": "Copied", "ru": "Скопировано"},
    # Billing
    "confirm_plan": {"en": "Switch plan?", "ru": "Сменить тариф?"},
    "confirm_plan_text": {
        "en": "The monthly price is charged from your balance now:",
        "ru": "С баланса сразу спишется месячная стоимость:",
    },
    "per_month": {"en": "per month", "ru": "в месяц"},
    "low_balance_notice": {"en": "Balance fell below", "ru": "Баланс опустился ниже"},
    "replies_stopped": {"en": "Replies stopped", "ru": "Ответы остановлены"},
    "plan_changed": {"en": "Plan changed", "ru": "Тариф изменён"},
    "notices": {"en": "Notices", "ru": "Уведомления"},
    "usage": {"en": "Usage this month", "ru": "Использование в этом месяце"},
    "amount_rub": {"en": "Amount, ₽", "ru": "Сумма, ₽"},
    "message_price": {"en": "Price of an AI reply, ₽", "ru": "Цена ответа ИИ, ₽"},
    "widget_message_price": {"en": "Price of a website widget reply, ₽", "ru": "Цена ответа в виджете, ₽"},
    "welcome_bonus_rub": {"en": "Welcome bonus, ₽", "ru": "Приветственный бонус, ₽"},
    "low_balance_thresholds": {
        "en": "Low-balance alerts at, ₽ (comma-separated)",
        "ru": "Предупреждать о балансе ниже, ₽ (через запятую)",
    },
    "zero_balance_behaviour": {"en": "When the balance runs out", "ru": "Когда баланс закончился"},
    "token_prices": {
        "en": "Extra price per 1,000 tokens, ₽ (one per line: model = price)",
        "ru": "Доплата за 1000 токенов, ₽ (по строке: модель = цена)",
    },
    "kind": {"en": "Kind", "ru": "Вид"},
    "expires": {"en": "Expires", "ru": "Действует до"},
    "uses": {"en": "uses", "ru": "использований"},
    "no_transactions": {"en": "No transactions yet.", "ru": "Операций пока нет."},
    # Playground
    "message_too_long": {"en": "The message is too long", "ru": "Сообщение слишком длинное"},
    "characters": {"en": "characters", "ru": "символов"},
    "tokens": {"en": "tokens", "ru": "токенов"},
    "playground_empty": {
        "en": "Ask the assistant what your customers would ask; answers show their sources and price.",
        "ru": "Спросите ассистента о том, о чём спросят клиенты; в ответах видны источники и цена.",
    },
}

# Domain error messages (English, from services) shown in Russian when the UI is Russian.
MESSAGES_RU: dict[str, str] = {
    "Invalid email or password": "Неверная эл. почта или пароль",
    "Enter your email": "Введите эл. почту",
    "Enter a valid email address, like name@example.com": "Введите корректный адрес, например name@example.com",
    "Use at least 8 characters": "Не менее 8 символов",
    "This password is too easy to guess (a common password, a name or a simple pattern); add a few words": (
        "Этот пароль слишком легко подобрать (частый пароль, имя или простой шаблон); добавьте несколько слов"
    ),
    "We could not create an account with these details; if you have one, sign in or reset your password": (
        "Не удалось создать аккаунт с этими данными; если он у вас уже есть, войдите или сбросьте пароль"
    ),
    "Remove control characters": "Уберите управляющие символы",
    "Use at most 128 characters": "Не более 128 символов",
    "Use at most 200 characters": "Не более 200 символов",
    "An account with this email already exists; sign in instead": "Аккаунт с этой почтой уже есть — войдите",
    "The current password is not correct": "Текущий пароль указан неверно",
    "Please sign in": "Пожалуйста, войдите",
    "Saved": "Сохранено",
    "Password changed": "Пароль изменён",
    "This does not look like a bot token from @BotFather (123456:ABC...)": (
        "Это не похоже на токен бота от @BotFather (123456:ABC...)"
    ),
    "Your session has ended; please sign in again": "Сессия завершена, войдите снова",
    "Choose polling or webhook": "Выберите polling или webhook",
    "Bot not found": "Бот не найден",
    (
        "Webhook mode needs the app on HTTPS: Telegram refuses http:// webhook URLs. Set PUBLIC_URL to the "
        "https:// address of this app, or use polling"
    ): (
        "Для режима webhook приложение должно работать по HTTPS: Telegram не принимает адреса http://. "
        "Укажите в PUBLIC_URL адрес https:// этого приложения или выберите polling"
    ),
    "Write 1 to 4000 characters": "Напишите от 1 до 4000 символов",
    "Dialog not found": "Диалог не найден",
    "Assistant not found": "Ассистент не найден",
    "Document not found": "Документ не найден",
    "Another operator is handling this dialog": "Этот диалог ведёт другой оператор",
    "Choose a file first": "Сначала выберите файл",
    "Enter a positive amount in ₽": "Введите положительную сумму в ₽",
    "Enter a percent from 1 to 100": "Введите процент от 1 до 100",
    "Enter a price in ₽, from 0 to 1 000 000": "Введите цену в ₽, от 0 до 1 000 000",
    "Enter amounts in ₽, separated by commas (up to 5)": "Введите суммы в ₽ через запятую (до 5)",
    "One line per model: model = price in ₽": "По строке на модель: модель = цена в ₽",
    "Uses are a whole number, 1 or more": "Число использований — целое, от 1",
    "Promo code created": "Промокод создан",
    "Pricing saved": "Цены сохранены",
    "3 to 64 letters, digits, - or _": "От 3 до 64 букв, цифр, - или _",
    "This promo code does not exist": "Такого промокода нет",
    "Give a reason (3 to 200 characters)": "Укажите причину (от 3 до 200 символов)",
    "Enter a non-zero amount": "Введите ненулевую сумму",
    "No such plan": "Такого тарифа нет",
    "Copied": "Скопировано",
    "Assistant deleted": "Ассистент удалён",
    "Assistant archived": "Ассистент в архиве",
    "Assistant restored": "Ассистент возвращён",
}

PLAN_NAMES_RU = {"Free": "Бесплатный", "Pro": "Профи", "Business": "Бизнес", "Enterprise": "Корпоративный"}
LIMITS_RU = {"assistants": "ассистентов", "Telegram bots": "Telegram-ботов", "documents": "документов",
             "AI messages this month": "ответов ИИ в этом месяце"}  # fmt: skip
_PATTERNS_RU: list[tuple[str, Callable[[re.Match[str]], str]]] = [
    (r"The balance \((.+) ₽\) is below the price of a reply \((.+) ₽\)",
     lambda m: f"Баланс ({m[1]} ₽) меньше цены ответа ({m[2]} ₽)"),
    (r"The balance \((.+) ₽\) is below the (.+) plan's monthly price \((.+) ₽\)",
     lambda m: f"Баланс ({m[1]} ₽) меньше месячной цены тарифа «{PLAN_NAMES_RU.get(m[2], m[2])}» ({m[3]} ₽); "
               "пополните баланс"),
    (r"The (.+) plan allows (\d+) (.+); choose a bigger plan on the Billing page",
     lambda m: f"Тариф «{PLAN_NAMES_RU.get(m[1], m[1])}» позволяет {m[2]} {LIMITS_RU.get(m[3], m[3])}; "
               "выберите тариф больше на странице «Оплата»"),
    (r"The message is too long \((\d+) characters; at most (\d+)\)",
     lambda m: f"Сообщение слишком длинное ({m[1]} символов; не более {m[2]})"),
]  # fmt: skip


def translate_message(message: str, lang: str) -> str:
    if lang != "ru":
        return message
    if message.startswith("Too many attempts"):
        seconds = message.rsplit(" in ", 1)[-1].removesuffix(" s")
        return f"Слишком много попыток, повторите через {seconds} с"
    for pattern, russian in _PATTERNS_RU:
        if found := re.fullmatch(pattern, message):
            return russian(found)
    return MESSAGES_RU.get(message, message)


def both(message: str) -> dict[str, str]:
    """A server-made text in both interface languages, for pages that switch language without a reload."""
    return {"en": message, "ru": translate_message(message, "ru")}


# Feature catalogues live beside this file (pure data, each exporting <NAME>_UI and <NAME>_MESSAGES_RU); the core
# catalogue above wins on a clash.
from chatai_app import (  # noqa: E402
    i18n_analytics,
    i18n_answers,
    i18n_assignments,
    i18n_feedback,
    i18n_monitoring,
    i18n_owner_keys,
    i18n_provider_keys,
    i18n_security,
)

for _catalogue, _name in (
    (i18n_security, "SECURITY"),
    (i18n_answers, "ANSWERS"),
    (i18n_provider_keys, "PROVIDER_KEYS"),
    (i18n_monitoring, "MONITORING"),
    (i18n_analytics, "ANALYTICS"),
    (i18n_feedback, "FEEDBACK"),
    (i18n_assignments, "ASSIGNMENTS"),
    (i18n_owner_keys, "OWNER_KEYS"),
):
    for _key, _strings in getattr(_catalogue, f"{_name}_UI").items():
        UI.setdefault(_key, _strings)
    for _message, _russian in getattr(_catalogue, f"{_name}_MESSAGES_RU").items():
        MESSAGES_RU.setdefault(_message, _russian)
