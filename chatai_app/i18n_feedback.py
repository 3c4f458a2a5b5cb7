"""UI strings for answer feedback (thumbs in the widget, Telegram and Dialogs),
in English and Russian; merged into `chatai_app.i18n.UI` and `MESSAGES_RU` (pure data, imports nothing)."""

from __future__ import annotations

FEEDBACK_UI: dict[str, dict[str, str]] = {
    "fb.up": {"en": "Helpful", "ru": "Полезно"},
    "fb.down": {"en": "Not helpful", "ru": "Не помогло"},
    "fb.rated_up": {"en": "The user found this answer helpful", "ru": "Пользователю ответ помог"},
    "fb.rated_down": {"en": "The user found this answer unhelpful", "ru": "Пользователю ответ не помог"},
    "fb.title": {"en": "Answer feedback", "ru": "Оценки ответов"},
    "fb.votes": {"en": "Ratings", "ru": "Оценок"},
    "fb.up_share": {"en": "Helpful share", "ru": "Доля полезных"},
    "fb.none": {"en": "No ratings in this period", "ru": "За этот период оценок нет"},
    # Telegram: the answer to a 👍/👎 button press (shown briefly at the top of the chat)
    "fb.tg_thanks_up": {"en": "Thank you! Glad it helped.", "ru": "Спасибо! Рады, что помогло."},
    "fb.tg_thanks_down": {
        "en": "Thank you! We will work on better answers.",
        "ru": "Спасибо! Мы поработаем над ответами.",
    },
    "fb.tg_gone": {"en": "This answer can no longer be rated.", "ru": "Этот ответ больше нельзя оценить."},
}

# Server-made messages (domain errors, notices) and their Russian text.
FEEDBACK_MESSAGES_RU: dict[str, str] = {
    "Answer not found in this conversation": "Ответ не найден в этом разговоре",
    "message_id: only the assistant's answers can be rated": "Оценить можно только ответы ассистента",
    "rating: up or down": "Оценка: «полезно» или «не помогло»",
}
