"""UI strings for the AI provider key pool (admin console),
in English and Russian; merged into `chatai_app.i18n.UI` and `MESSAGES_RU` (pure data, imports nothing)."""

from __future__ import annotations

PROVIDER_KEYS_UI: dict[str, dict[str, str]] = {
    "adm.keys": {"en": "AI keys", "ru": "Ключи ИИ"},
}

# Server-made messages (domain errors, notices) and their Russian text.
PROVIDER_KEYS_MESSAGES_RU: dict[str, str] = {}
