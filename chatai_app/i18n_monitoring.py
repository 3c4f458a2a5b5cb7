"""UI strings for monitoring, message trace and system settings (admin console),
in English and Russian; merged into `chatai_app.i18n.UI` and `MESSAGES_RU` (pure data, imports nothing)."""

from __future__ import annotations

MONITORING_UI: dict[str, dict[str, str]] = {
    "adm.monitoring": {"en": "Monitoring", "ru": "Мониторинг"},
    "adm.settings": {"en": "Settings", "ru": "Настройки"},
}

# Server-made messages (domain errors, notices) and their Russian text.
MONITORING_MESSAGES_RU: dict[str, str] = {}
