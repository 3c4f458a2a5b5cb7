"""UI strings for answer feedback (thumbs in the widget, Telegram and Dialogs),
in English and Russian; merged into `chatai_app.i18n.UI` and `MESSAGES_RU` (pure data, imports nothing)."""

from __future__ import annotations

FEEDBACK_UI: dict[str, dict[str, str]] = {}

# Server-made messages (domain errors, notices) and their Russian text.
FEEDBACK_MESSAGES_RU: dict[str, str] = {}
