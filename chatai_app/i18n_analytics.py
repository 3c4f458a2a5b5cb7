"""UI strings for the analytics dashboard and the public landing page with its funnel,
in English and Russian; merged into `chatai_app.i18n.UI` and `MESSAGES_RU` (pure data, imports nothing)."""

from __future__ import annotations

ANALYTICS_UI: dict[str, dict[str, str]] = {
    "adm.funnel": {"en": "Sign-up funnel", "ru": "Воронка регистрации"},
    # The dashboard (/analytics)
    "analytics": {"en": "Analytics", "ru": "Аналитика"},
    "an.days_7": {"en": "7 days", "ru": "7 дней"},
    "an.days_30": {"en": "30 days", "ru": "30 дней"},
    "an.days_90": {"en": "90 days", "ru": "90 дней"},
    "an.dates": {"en": "Dates", "ru": "Даты"},
    "an.apply": {"en": "Show", "ru": "Показать"},
    "an.time_zone": {"en": "Time zone", "ru": "Часовой пояс"},
    "an.period": {"en": "Period", "ru": "Период"},
    "an.dialogs": {"en": "Dialogs", "ru": "Диалоги"},
    "an.messages": {"en": "Messages", "ru": "Сообщения"},
    "an.dialogs_by_channel": {"en": "New dialogs per day, by channel", "ru": "Новые диалоги по дням и каналам"},
    "an.messages_by_channel": {"en": "Messages per day, by channel", "ru": "Сообщения по дням и каналам"},
    "an.outcomes": {"en": "How users' messages were answered", "ru": "Как отвечали на сообщения пользователей"},
    "an.outcomes_hint": {
        "en": "Each user message by what followed it, up to the user's next message.",
        "ru": "Каждое сообщение пользователя по тому, что последовало за ним до следующего сообщения.",
    },
    "an.outcome.knowledge": {"en": "Answered from knowledge", "ru": "Ответ из базы знаний"},
    "an.outcome.other": {"en": "Answered without a source (small talk)", "ru": "Ответ без источника (беседа)"},
    "an.outcome.handed_off": {"en": "Handed to a human", "ru": "Передано человеку"},
    "an.outcome.unanswered": {"en": "Unanswered", "ru": "Без ответа"},
    "an.first_response": {"en": "Operators' median first response", "ru": "Медиана первого ответа операторов"},
    "an.first_response_hint": {
        "en": "From taking a dialog to the operator's first message.",
        "ru": "От взятия диалога до первого сообщения оператора.",
    },
    "an.taken_dialogs": {"en": "taken dialogs", "ru": "взятых диалогов"},
    "an.operator": {"en": "Operator", "ru": "Оператор"},
    "an.median": {"en": "Median", "ru": "Медиана"},
    "an.count": {"en": "Count", "ru": "Количество"},
    "an.busiest_hours": {"en": "Busiest hours", "ru": "Самые загруженные часы"},
    "an.busiest_hint": {
        "en": "Users' messages per hour of the day, and by weekday and hour.",
        "ru": "Сообщения пользователей по часам суток, по дням недели и часам.",
    },
    "an.spend": {"en": "Spend per assistant", "ru": "Расходы по ассистентам"},
    "an.replies": {"en": "Paid replies", "ru": "Платные ответы"},
    "an.spent": {"en": "Spent", "ru": "Потрачено"},
    "an.total_spent": {"en": "Spent on replies", "ru": "Потрачено на ответы"},
    "an.no_spend": {"en": "No paid replies in this period.", "ru": "В этом периоде платных ответов нет."},
    "an.feedback": {"en": "Answer feedback", "ru": "Оценки ответов"},
    "an.feedback_hint": {
        "en": "Users' thumbs up and thumbs down on the answers.",
        "ru": "Оценки ответов пользователями: нравится и не нравится.",
    },
    "an.no_data": {"en": "No data for this period yet.", "ru": "За этот период данных пока нет."},
    "an.mon": {"en": "Mon", "ru": "Пн"},
    "an.tue": {"en": "Tue", "ru": "Вт"},
    "an.wed": {"en": "Wed", "ru": "Ср"},
    "an.thu": {"en": "Thu", "ru": "Чт"},
    "an.fri": {"en": "Fri", "ru": "Пт"},
    "an.sat": {"en": "Sat", "ru": "Сб"},
    "an.sun": {"en": "Sun", "ru": "Вс"},
    # The public landing page (/welcome)
    "landing.title": {
        "en": "AI assistants that answer from your knowledge — with live operators when it matters",
        "ru": "ИИ-ассистенты, которые отвечают по вашей базе знаний, — и живые операторы, когда это важно",
    },
    "landing.lead": {
        "en": "Build an assistant in minutes, feed it your documents and FAQ, and put it in Telegram and on your "
        "website. It answers with sources, says so when it does not know, and calls your team.",
        "ru": "Создайте ассистента за минуты, загрузите документы и ответы на частые вопросы, подключите Telegram и "
        "сайт. Ассистент отвечает со ссылками на источники, честно говорит, когда не знает, и зовёт вашу команду.",
    },
    "landing.cta": {"en": "Create a free account", "ru": "Создать бесплатный аккаунт"},
    "landing.sign_in": {"en": "I have an account", "ru": "У меня есть аккаунт"},
    "landing.f1_title": {"en": "Answers from your knowledge", "ru": "Ответы по вашей базе знаний"},
    "landing.f1": {
        "en": "PDF, DOCX, web pages and Q&A pairs, in Russian and English, with the source of every answer.",
        "ru": "PDF, DOCX, страницы сайта и пары «вопрос-ответ» на русском и английском, с источником каждого ответа.",
    },
    "landing.f2_title": {"en": "Telegram and your website", "ru": "Telegram и ваш сайт"},
    "landing.f2": {
        "en": "Connect a bot with its token, or paste one line to add the chat widget to your site.",
        "ru": "Подключите бота по токену или вставьте одну строку, чтобы добавить чат-виджет на сайт.",
    },
    "landing.f3_title": {"en": "Live operators", "ru": "Живые операторы"},
    "landing.f3": {
        "en": "A shared inbox: your team takes over any conversation, and the assistant steps back.",
        "ru": "Общая очередь диалогов: ваша команда подключается к любому разговору, а ассистент уступает место.",
    },
    "landing.f4_title": {"en": "Analytics and knowledge gaps", "ru": "Аналитика и пробелы в знаниях"},
    "landing.f4": {
        "en": "See what was answered, what went to a human and which questions still need an answer.",
        "ru": "Видно, на что ассистент ответил, что ушло человеку и на какие вопросы ответа ещё нет.",
    },
    "landing.open_source": {
        "en": "Open source and self-hosted: one command runs it on your own server.",
        "ru": "Открытый код, свой сервер: запуск одной командой.",
    },
    "landing.privacy": {
        "en": "This page counts visits with a random id kept in your browser; no tracking cookies.",
        "ru": "Страница считает посещения по случайному идентификатору в вашем браузере, без cookie для слежки.",
    },
    "landing.open_console": {"en": "Open the console", "ru": "Открыть консоль"},
    # The admins' funnel (/admin/funnel)
    "funnel.hint": {
        "en": "Distinct visitors of the landing and sign-up pages, then the workspaces created with the sign-up form "
        "in the period and how far they got.",
        "ru": "Уникальные посетители лендинга и страницы регистрации, затем созданные через форму регистрации за "
        "период рабочие пространства и как далеко они продвинулись.",
    },
    "funnel.step": {"en": "Step", "ru": "Шаг"},
    "funnel.all_workspaces": {
        "en": "All workspaces created in the period (the sign-up form, the API, the command line)",
        "ru": "Все рабочие пространства, созданные за период (форма регистрации, API, командная строка)",
    },
    "funnel.count": {"en": "Count", "ru": "Количество"},
    "funnel.conversion": {"en": "From the step before", "ru": "От предыдущего шага"},
    "funnel.of_first": {"en": "From the first step", "ru": "От первого шага"},
    "funnel.landing_visit": {"en": "Landing page visitors", "ru": "Посетители лендинга"},
    "funnel.signup_view": {"en": "Viewed the sign-up page", "ru": "Открыли страницу регистрации"},
    "funnel.account_created": {"en": "Created an account (sign-up form)", "ru": "Создали аккаунт (форма регистрации)"},
    "funnel.first_assistant": {"en": "Created a first assistant", "ru": "Создали первого ассистента"},
    "funnel.first_content": {
        "en": "Uploaded knowledge or got a first message",
        "ru": "Загрузили знания или получили первое сообщение",
    },
}

# Server-made messages (domain errors, notices) and their Russian text.
ANALYTICS_MESSAGES_RU: dict[str, str] = {
    "Choose 1 to 366 days": "Выберите от 1 до 366 дней",
    "Choose at most 366 days": "Выберите не больше 366 дней",
    "The start date is after the end date": "Дата начала позже даты окончания",
    "Unknown time zone": "Неизвестный часовой пояс",
    "Write the dates as YYYY-MM-DD": "Укажите даты в формате ГГГГ-ММ-ДД",
}
