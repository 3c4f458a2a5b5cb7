"""UI strings in English and Russian (pure data, used by components and states)."""

from __future__ import annotations

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
}

# Domain error messages (English, from services) shown in Russian when the UI is Russian.
MESSAGES_RU: dict[str, str] = {
    "Invalid email or password": "Неверная эл. почта или пароль",
    "Enter your email": "Введите эл. почту",
    "Enter a valid email address, like name@example.com": "Введите корректный адрес, например name@example.com",
    "Use at least 8 characters": "Не менее 8 символов",
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
}


def translate_message(message: str, lang: str) -> str:
    if lang != "ru":
        return message
    if message.startswith("Too many attempts"):
        seconds = message.rsplit(" in ", 1)[-1].removesuffix(" s")
        return f"Слишком много попыток, повторите через {seconds} с"
    return MESSAGES_RU.get(message, message)
