"""UI strings for the analytics dashboard and the public landing page with its funnel,
in English and Russian; merged into `chatai_app.i18n.UI` and `MESSAGES_RU` (pure data, imports nothing)."""

from __future__ import annotations

ANALYTICS_UI: dict[str, dict[str, str]] = {
    "adm.funnel": {"en": "Sign-up funnel", "ru": "Воронка регистрации"},
}

# Server-made messages (domain errors, notices) and their Russian text.
ANALYTICS_MESSAGES_RU: dict[str, str] = {}
