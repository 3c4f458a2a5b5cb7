"""UI strings for a workspace owner's own AI provider keys (/keys), in English and Russian; merged into
`chatai_app.i18n.UI` and `MESSAGES_RU` (pure data, imports nothing). The key pool's shared words (provider, limits,
states) come from `i18n_provider_keys`."""

from __future__ import annotations

OWNER_KEYS_UI: dict[str, dict[str, str]] = {
    "own_keys": {"en": "AI keys", "ru": "Ключи ИИ"},
    "okeys.title": {"en": "Your AI provider keys", "ru": "Ваши ключи провайдеров ИИ"},
    "okeys.intro": {
        "en": "Assistants answer with your own keys first, in priority order (lower first). A key that answers 429 "
        "or a server error cools down and the next key answers; three authentication failures in a row park a key "
        "until you put it back in rotation.",
        "ru": "Ассистенты отвечают сначала вашими ключами, по приоритету (меньше — раньше). Ключ, ответивший 429 "
        "или ошибкой сервера, остывает, и отвечает следующий; после трёх ошибок авторизации подряд ключ "
        "отключается, пока вы не вернёте его в работу.",
    },
    "okeys.fallback": {
        "en": "Without keys of your own (or when all of them are off, parked or over a limit), assistants use the "
        "platform's keys; if none answers, the offline answerer replies from your knowledge base.",
        "ru": "Без своих ключей (или если все они выключены, отключены или исчерпали лимит) ассистенты используют "
        "ключи платформы; если не отвечает ни один, офлайн-ответчик отвечает по базе знаний.",
    },
    "okeys.secret_hint": {
        "en": "The key is stored encrypted and never shown again: only its first and last characters.",
        "ru": "Ключ хранится зашифрованным и больше не показывается — только его первые и последние символы.",
    },
    "okeys.none": {
        "en": "No keys of your own yet: assistants use the platform's keys.",
        "ru": "Своих ключей пока нет: ассистенты используют ключи платформы.",
    },
    "okeys.over_limit": {"en": "Over a limit", "ru": "Лимит исчерпан"},
    "okeys.over_limit_hint": {
        "en": "The next key answers until the limit resets (UTC).",
        "ru": "До сброса лимита (UTC) отвечает следующий ключ.",
    },
    "okeys.enable": {"en": "Switch on", "ru": "Включить"},
    "okeys.disable": {"en": "Switch off", "ru": "Выключить"},
    "okeys.delete_confirm": {
        "en": "Assistants will answer with your next key or the platform's keys. Delete",
        "ru": "Ассистенты будут отвечать следующим вашим ключом или ключами платформы. Удалить",
    },
    # The parked reason key_pool stores in English: its fixed prefix, the provider's own message kept verbatim.
    "okeys.parked_auth": {
        "en": "{count} authentication failures in a row (HTTP {status})",
        "ru": "Ошибок авторизации подряд: {count} (HTTP {status})",
    },
}

# Server-made messages (domain errors, notices) and their Russian text.
OWNER_KEYS_MESSAGES_RU: dict[str, str] = {
    "Key switched on": "Ключ включён",
    "Key switched off": "Ключ выключен",
}
