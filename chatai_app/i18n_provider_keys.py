"""UI strings for the AI provider key pool (admin console),
in English and Russian; merged into `chatai_app.i18n.UI` and `MESSAGES_RU` (pure data, imports nothing)."""

from __future__ import annotations

PROVIDER_KEYS_UI: dict[str, dict[str, str]] = {
    "adm.keys": {"en": "AI keys", "ru": "Ключи ИИ"},
    "keys.intro": {
        "en": "Assistants use the workspace's own keys first, then this pool: keys in priority order (lower first). "
        "A key that answers 429 or a server error cools down and the next key answers the same message; "
        "three authentication failures in a row park a key until you unpark it.",
        "ru": "Ассистенты сначала используют собственные ключи пространства, затем этот пул: ключи по приоритету "
        "(меньше — раньше). Ключ, ответивший 429 или ошибкой сервера, остывает, и то же сообщение отвечает "
        "следующий ключ; три ошибки авторизации подряд отключают ключ, пока вы его не вернёте.",
    },
    "keys.add": {"en": "Add key", "ru": "Добавить ключ"},
    "keys.provider": {"en": "Provider", "ru": "Провайдер"},
    "keys.base_url": {"en": "Base URL", "ru": "Базовый URL"},
    "keys.api_key": {"en": "API key", "ru": "API-ключ"},
    "keys.models": {"en": "Models", "ru": "Модели"},
    "keys.models_hint": {"en": "comma-separated; empty: all models", "ru": "через запятую; пусто — все модели"},
    "keys.all_models": {"en": "all models", "ru": "все модели"},
    "keys.priority": {"en": "Priority", "ru": "Приоритет"},
    "keys.rpm": {"en": "Requests per minute", "ru": "Запросов в минуту"},
    "keys.daily_requests": {"en": "Requests per day", "ru": "Запросов в день"},
    "keys.daily_tokens": {"en": "Tokens per day", "ru": "Токенов в день"},
    "keys.monthly_tokens": {"en": "Tokens per month", "ru": "Токенов в месяц"},
    "keys.rpm_short": {"en": "per minute", "ru": "в минуту"},
    "keys.daily_requests_short": {"en": "per day", "ru": "в день"},
    "keys.daily_tokens_short": {"en": "tokens a day", "ru": "токенов в день"},
    "keys.monthly_tokens_short": {"en": "tokens a month", "ru": "токенов в месяц"},
    "keys.limits": {"en": "Limits", "ru": "Лимиты"},
    "keys.limits_hint": {
        "en": "Empty limit: no limit. Days and months are UTC.",
        "ru": "Пустой лимит — без ограничения. Дни и месяцы — по UTC.",
    },
    "keys.key": {"en": "Key", "ru": "Ключ"},
    "keys.state": {"en": "State", "ru": "Состояние"},
    "keys.today": {"en": "Today", "ru": "Сегодня"},
    "keys.healthy": {"en": "Healthy", "ru": "Работает"},
    "keys.cooling_down": {"en": "Cooling down until", "ru": "Остывает до"},
    "keys.parked": {"en": "Parked", "ru": "Отключён"},
    "keys.disabled": {"en": "Switched off", "ru": "Выключен"},
    "keys.auth_failures": {"en": "Authentication failures", "ru": "Ошибок авторизации"},
    "keys.last_error": {"en": "Last error", "ru": "Последняя ошибка"},
    "keys.requests": {"en": "requests", "ru": "запросов"},
    "keys.tokens": {"en": "tokens", "ru": "токенов"},
    "keys.errors": {"en": "errors", "ru": "ошибок"},
    "keys.month": {"en": "This month", "ru": "За месяц"},
    "keys.by_day": {"en": "Usage by day (UTC)", "ru": "Расход по дням (UTC)"},
    "keys.edit": {"en": "Edit", "ru": "Изменить"},
    "keys.save": {"en": "Save", "ru": "Сохранить"},
    "keys.enabled": {"en": "In rotation", "ru": "Используется"},
    "keys.unpark": {"en": "Back in rotation", "ru": "Вернуть в работу"},
    "keys.delete": {"en": "Delete key", "ru": "Удалить ключ"},
    "keys.delete_confirm": {
        "en": "Messages will be answered with the next key. Delete",
        "ru": "Сообщения будет отвечать следующий ключ. Удалить",
    },
    "keys.none": {
        "en": "No keys in the pool: assistants use the server's OPENAI_API_KEY.",
        "ru": "В пуле нет ключей: ассистенты используют OPENAI_API_KEY сервера.",
    },
}

# Server-made messages (domain errors, notices) and their Russian text.
PROVIDER_KEYS_MESSAGES_RU: dict[str, str] = {
    "Key added": "Ключ добавлен",
    "Key saved": "Ключ сохранён",
    "Key back in rotation": "Ключ снова в работе",
    "Key deleted": "Ключ удалён",
    "Key not found": "Ключ не найден",
    "Use a whole number": "Введите целое число",
    "Use a positive number": "Введите положительное число",
    "Use a number from 0 to 10000": "Введите число от 0 до 10000",
    "At most 50 models per key": "Не больше 50 моделей на ключ",
    "Name the provider, e.g. openai": "Укажите провайдера, например openai",
    "Unknown limit": "Неизвестный лимит",
    "Paste the whole API key": "Вставьте API-ключ целиком",
    "Use an http(s) URL such as https://api.openai.com/v1": "Укажите http(s)-адрес, например https://api.openai.com/v1",
}
