"""UI strings for monitoring, message trace and system settings (admin console),
in English and Russian; merged into `chatai_app.i18n.UI` and `MESSAGES_RU` (pure data, imports nothing)."""

from __future__ import annotations

MONITORING_UI: dict[str, dict[str, str]] = {
    "adm.monitoring": {"en": "Monitoring", "ru": "Мониторинг"},
    "adm.settings": {"en": "Settings", "ru": "Настройки"},
    # /admin/monitoring
    "mon.hours_6": {"en": "Last 6 hours", "ru": "Последние 6 часов"},
    "mon.hours_24": {"en": "Last 24 hours", "ru": "Последние 24 часа"},
    "mon.hours_72": {"en": "Last 3 days", "ru": "Последние 3 дня"},
    "mon.hours_168": {"en": "Last 7 days", "ru": "Последние 7 дней"},
    "mon.refresh": {"en": "Refresh", "ru": "Обновить"},
    "mon.updated": {"en": "Updated", "ru": "Обновлено"},
    "mon.open_trace": {"en": "Trace a message", "ru": "Трассировка сообщения"},
    "mon.messages_period": {"en": "Users' messages in the period", "ru": "Сообщений пользователей за период"},
    "mon.llm_errors": {"en": "Model failures", "ru": "Сбоев модели"},
    "mon.operators_online": {"en": "Operators online", "ru": "Операторов в сети"},
    "mon.widget_streams": {"en": "Open widget connections", "ru": "Открытых подключений виджета"},
    "mon.widget_active": {"en": "widget chats active in 5 min", "ru": "активных чатов виджета за 5 мин"},
    "mon.jobs_waiting": {"en": "Jobs waiting", "ru": "Задач в очереди"},
    "mon.jobs_running": {"en": "running", "ru": "выполняется"},
    "mon.jobs_failed": {"en": "failed", "ru": "с ошибкой"},
    "mon.bots": {"en": "Telegram bots", "ru": "Telegram-ботов"},
    "mon.health": {"en": "Health", "ru": "Состояние"},
    "mon.part": {"en": "Part", "ru": "Компонент"},
    "mon.detail": {"en": "Details", "ru": "Подробности"},
    "mon.state.ok": {"en": "OK", "ru": "в норме"},
    "mon.state.degraded": {"en": "degraded", "ru": "с перебоями"},
    "mon.state.down": {"en": "down", "ru": "недоступен"},
    "mon.state.off": {"en": "not used", "ru": "не используется"},
    "mon.messages_per_hour": {"en": "Messages per hour by channel", "ru": "Сообщения в час по каналам"},
    "mon.llm_latency": {
        "en": "Model latency (p50, p95, ms) and failures",
        "ru": "Задержка модели (p50, p95, мс) и сбои",
    },
    "mon.jobs_per_hour": {"en": "Background jobs per hour", "ru": "Фоновые задачи в час"},
    "mon.bots_by_status": {"en": "Telegram bots by status", "ru": "Telegram-боты по состоянию"},
    "mon.failing_bots": {"en": "Bots with errors", "ru": "Боты с ошибками"},
    "mon.bot": {"en": "Bot", "ru": "Бот"},
    "mon.error": {"en": "Error", "ru": "Ошибка"},
    "mon.hint": {
        "en": "Hours are UTC. Series come from the stored messages, their traces and the job queue; process health "
        "from the supervisor (the same data as /readyz and /metrics). Widget connections count this web process.",
        "ru": "Часы указаны в UTC. Ряды строятся по сохранённым сообщениям, их трассировкам и очереди задач; "
        "состояние процессов — от супервизора (те же данные, что в /readyz и /metrics). Подключения виджета — "
        "в этом веб-процессе.",
    },
    # /admin/trace
    "trace.message": {"en": "Message", "ru": "Сообщение"},
    "trace.message_id": {"en": "Message number", "ru": "Номер сообщения"},
    "trace.show": {"en": "Show the trace", "ru": "Показать трассировку"},
    "trace.hint": {
        "en": "What happened to one message: received → stored → knowledge retrieved → model → charged → delivered. "
        "Open it by number, or from a log record of a dialog.",
        "ru": "Что произошло с сообщением: получено → сохранено → найдены знания → модель → списана оплата → "
        "доставлено. Откройте по номеру или из записи журнала диалога.",
    },
    "trace.not_found": {"en": "No such message", "ru": "Такого сообщения нет"},
    "trace.empty": {"en": "Enter a message number to see its trace", "ru": "Введите номер сообщения"},
    "trace.received_at": {"en": "Received", "ru": "Получено"},
    "trace.total": {"en": "total", "ru": "всего"},
    "trace.question": {"en": "Question", "ru": "Вопрос"},
    "trace.reply": {"en": "Reply", "ru": "Ответ"},
    "trace.stage": {"en": "Stage", "ru": "Этап"},
    "trace.at": {"en": "At", "ru": "Момент"},
    "trace.took": {"en": "Took", "ru": "Заняло"},
    "trace.timeline": {"en": "Timeline", "ru": "Шкала"},
    "trace.received": {"en": "received", "ru": "получено"},
    "trace.stored": {"en": "stored", "ru": "сохранено"},
    "trace.retrieved": {"en": "knowledge retrieved", "ru": "найдены знания"},
    "trace.llm": {"en": "model answered", "ru": "ответ модели"},
    "trace.charged": {"en": "reply stored and charged", "ru": "ответ сохранён, оплата списана"},
    "trace.delivered": {"en": "delivered", "ru": "доставлено"},
    "trace.delivery_note": {
        "en": "Telegram: delivered when the outbox sent the reply. Widget, API and playground stream the reply to "
        "the open request: delivered when it was committed. A stage shown as — did not happen (small talk, "
        "no charge, a handoff).",
        "ru": "Telegram: доставлено, когда очередь отправки передала ответ. Виджет, API и песочница получают ответ "
        "потоком в открытом запросе: доставлено в момент сохранения. Этап с — не выполнялся (светская беседа, без "
        "оплаты, передача оператору).",
    },
    "trace.dialog": {"en": "dialog", "ru": "диалог"},
    "trace.dialog_messages": {"en": "Messages of this dialog", "ru": "Сообщения этого диалога"},
    "trace.dialog_logs": {"en": "Log records of this dialog", "ru": "Записи журнала этого диалога"},
    "trace.open": {"en": "trace", "ru": "трассировка"},
    # /admin/settings
    "set.pricing": {"en": "Prices and bonuses", "ru": "Цены и бонусы"},
    "set.pricing_moved": {
        "en": "Prices, the welcome bonus, plan limits and handoff defaults are edited on the Settings page.",
        "ru": "Цены, приветственный бонус, лимиты тарифов и правила передачи оператору настраиваются "
        "на странице «Настройки».",
    },
    "set.pricing_help": {
        "en": "Amounts in roubles (1 500 or 99,90); they apply to the next message.",
        "ru": "Суммы в рублях (1 500 или 99,90); действуют со следующего сообщения.",
    },
    "set.thresholds": {"en": "Low-balance alerts at, ₽", "ru": "Предупреждать о балансе ниже, ₽"},
    "set.thresholds_hint": {"en": "Up to 5 amounts separated by ;", "ru": "До 5 сумм через ;"},
    "set.token_prices": {
        "en": "Price per 1,000 tokens by model, ₽ (on top of the reply price)",
        "ru": "Цена за 1000 токенов по моделям, ₽ (сверх цены ответа)",
    },
    "set.model": {"en": "model", "ru": "модель"},
    "set.add_model": {"en": "Add a model", "ru": "Добавить модель"},
    "set.remove_row": {"en": "Remove", "ru": "Удалить"},
    "set.handoff": {"en": "Handoff defaults", "ru": "Передача оператору по умолчанию"},
    "set.handoff_help": {
        "en": "New assistants start with these; each assistant can change them in its settings.",
        "ru": "С этими настройками создаются новые ассистенты; у каждого их можно изменить.",
    },
    "set.fallback_after": {
        "en": "Call a human after unanswered replies",
        "ru": "Звать человека после ответов без ответа",
    },
    "set.fallback_after_hint": {"en": "0 to 10 in a row; 0: never", "ru": "от 0 до 10 подряд; 0 — никогда"},
    "set.on_llm_failure": {"en": "When the model is down", "ru": "Когда модель недоступна"},
    "set.wait_timeout_s": {"en": "Queue wait before the fallback, s", "ru": "Ожидание в очереди, с"},
    "set.wait_timeout_hint": {"en": "30 to 86 400 seconds", "ru": "от 30 до 86 400 секунд"},
    "set.on_timeout": {"en": "When nobody takes the dialog", "ru": "Если диалог никто не взял"},
    "set.timeout.ai": {"en": "the AI answers again", "ru": "снова отвечает ИИ"},
    "set.timeout.offline_form": {"en": "ask for a contact", "ru": "попросить контакт"},
    "set.repeat_detection": {"en": "Repeated question calls a human", "ru": "Повторный вопрос зовёт человека"},
    "set.repeat_detection_hint": {
        "en": "The user asking the same thing again is handed off",
        "ru": "Если пользователь спрашивает то же самое снова, диалог передаётся оператору",
    },
    "set.features": {"en": "Features", "ru": "Функции"},
    "set.signup_open": {"en": "Public sign-up", "ru": "Открытая регистрация"},
    "set.signup_open_hint": {
        "en": "Off: only existing accounts and invited people can sign in",
        "ru": "Выключено: входить могут только существующие и приглашённые пользователи",
    },
    "set.website_import": {"en": "Website import", "ru": "Импорт сайтов"},
    "set.website_import_hint": {
        "en": "Off: workspaces cannot add websites to their knowledge",
        "ru": "Выключено: нельзя добавлять сайты в базу знаний",
    },
    "set.plans": {"en": "Plans and their limits", "ru": "Тарифы и их лимиты"},
    "set.plans_help": {
        "en": "Monthly price in roubles; an empty limit means no limit.",
        "ru": "Цена в месяц в рублях; пустой лимит — без ограничения.",
    },
    "set.monthly_price": {"en": "₽ a month", "ru": "₽ в месяц"},
    "set.history": {"en": "Changes", "ru": "История изменений"},
    "set.who": {"en": "Who", "ru": "Кто"},
    "set.setting": {"en": "Setting", "ru": "Настройка"},
    "set.previous": {"en": "Was", "ru": "Было"},
    # the settings' names in the history of changes
    "setkey.pricing.message_minor": {"en": "Price of an AI reply", "ru": "Цена ответа ИИ"},
    "setkey.pricing.widget_message_minor": {"en": "Price of a widget reply", "ru": "Цена ответа в виджете"},
    "setkey.pricing.per_1k_tokens_minor": {"en": "Prices per 1,000 tokens", "ru": "Цены за 1000 токенов"},
    "setkey.billing.welcome_bonus_minor": {"en": "Welcome bonus", "ru": "Приветственный бонус"},
    "setkey.billing.zero_balance_behaviour": {"en": "When the balance runs out", "ru": "Когда баланс закончился"},
    "setkey.billing.low_balance_thresholds_minor": {"en": "Low-balance alerts", "ru": "Предупреждения о балансе"},
    "setkey.handoff.fallback_after": {"en": "Human after unanswered replies", "ru": "Человек после ответов без ответа"},
    "setkey.handoff.repeat_detection": {"en": "Repeated question", "ru": "Повторный вопрос"},
    "setkey.handoff.on_llm_failure": {"en": "When the model is down", "ru": "Когда модель недоступна"},
    "setkey.handoff.wait_timeout_s": {"en": "Queue wait", "ru": "Ожидание в очереди"},
    "setkey.handoff.on_timeout": {"en": "When nobody takes the dialog", "ru": "Если диалог никто не взял"},
    "setkey.features.signup_open": {"en": "Public sign-up", "ru": "Открытая регистрация"},
    "setkey.features.website_import": {"en": "Website import", "ru": "Импорт сайтов"},
    "setkey.plan.free": {"en": "Plan Free", "ru": "Тариф «Бесплатный»"},
    "setkey.plan.pro": {"en": "Plan Pro", "ru": "Тариф «Профи»"},
    "setkey.plan.business": {"en": "Plan Business", "ru": "Тариф «Бизнес»"},
    "setkey.plan.enterprise": {"en": "Plan Enterprise", "ru": "Тариф «Корпоративный»"},
    "set.new": {"en": "Now", "ru": "Стало"},
}

# Server-made messages (domain errors, notices) and their Russian text.
MONITORING_MESSAGES_RU: dict[str, str] = {
    "Enter a message number": "Введите номер сообщения",
    "Message not found": "Сообщение не найдено",
    "Check the highlighted fields": "Проверьте отмеченные поля",
    "Saved": "Сохранено",
    "Nothing changed": "Ничего не изменилось",
    "Enter an amount in ₽, from 0 to 1 000 000": "Введите сумму в ₽, от 0 до 1 000 000",
    "Up to 5 amounts in ₽, separated by semicolons": "До 5 сумм в ₽ через точку с запятой",
    "Each row: a model name and a price in ₽ per 1,000 tokens": "В каждой строке: модель и цена в ₽ за 1000 токенов",
    "A whole number, or empty for no limit": "Целое число или пусто — без ограничения",
    "a whole number from 0 to 10, or empty for no limit": "целое число от 0 до 10, или пусто",
    "a whole number from 0 to 10": "целое число от 0 до 10",
    "a whole number from 30 to 86400": "целое число от 30 до 86400",
    "a whole number from 0 to 10 000 000, or empty for no limit": "целое число от 0 до 10 000 000, или пусто",
    "a price from 0 to 1 000 000 ₽": "цена от 0 до 1 000 000 ₽",
    "New sign-ups are closed on this platform": "Регистрация новых пользователей на платформе закрыта",
    "Website import is turned off on this platform": "Импорт сайтов на платформе выключен",
}
