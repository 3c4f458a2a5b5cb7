"""UI strings for operators assigned to assistants (the Team page), in English and Russian; merged into
`chatai_app.i18n.UI` and `MESSAGES_RU` (pure data, imports nothing)."""

from __future__ import annotations

ASSIGNMENTS_UI: dict[str, dict[str, str]] = {
    "team.assistants": {"en": "Assistants", "ru": "Ассистенты"},
    "team.assistants_all": {"en": "All", "ru": "Все"},
    "team.assistants_of": {"en": "of", "ru": "из"},
    "team.assistants_title": {"en": "Which assistants' dialogs", "ru": "Диалоги каких ассистентов"},
    "team.assistants_hint": {
        "en": "The operator sees, takes and answers only these assistants' dialogs in the inbox and Dialogs.",
        "ru": "Оператор видит, берёт и ведёт только диалоги этих ассистентов — во входящих и в «Диалогах».",
    },
    "team.assistants_every": {
        "en": "All assistants, including ones created later",
        "ru": "Все ассистенты, включая созданные позже",
    },
    "team.assistants_only": {"en": "Only the chosen assistants", "ru": "Только выбранные ассистенты"},
    "team.assistants_none": {
        "en": "The workspace has no assistants yet",
        "ru": "В рабочем пространстве пока нет ассистентов",
    },
    "team.assistants_admins": {"en": "Admins see every assistant", "ru": "Администраторы видят всех ассистентов"},
}

# Server-made messages (domain errors, notices) and their Russian text.
ASSIGNMENTS_MESSAGES_RU: dict[str, str] = {
    "Owners and admins always see every assistant": "Владелец и администраторы всегда видят всех ассистентов",
    "Choose at least one of this workspace's assistants": "Выберите хотя бы одного ассистента этого пространства",
    "Assistants saved": "Ассистенты сохранены",
}
