"""The platform's e-mails in English and Russian: subject, plain text and HTML, from named parameters."""

from __future__ import annotations

import html

TEMPLATES: dict[str, dict[str, dict[str, str]]] = {
    "invite": {
        "en": {
            "subject": "{inviter} invited you to {workspace} on ChatAI",
            "body": "{inviter} invited you to join the workspace \u201c{workspace}\u201d on ChatAI as {role}.\n\n"
            "Accept the invitation: {link}\n\nThe link works once and expires in {hours} hours. "
            "If you did not expect it, ignore this e-mail.",
            "action": "Accept the invitation",
        },
        "ru": {
            "subject": "{inviter} приглашает вас в {workspace} в ChatAI",
            "body": "{inviter} приглашает вас в рабочее пространство \u00ab{workspace}\u00bb в ChatAI, "
            "роль: {role}.\n\n"
            "Принять приглашение: {link}\n\nСсылка одноразовая и действует {hours} ч. "
            "Если вы не ждали этого письма, просто проигнорируйте его.",
            "action": "Принять приглашение",
        },
    },
    "password_reset": {
        "en": {
            "subject": "Reset your ChatAI password",
            "body": "Someone (we hope you) asked to reset the password of your ChatAI account.\n\n"
            "Set a new password: {link}\n\nThe link works once and expires in {minutes} minutes; "
            "after the reset every session of the account is signed out. "
            "If it was not you, ignore this e-mail: your password stays as it is.",
            "action": "Set a new password",
        },
        "ru": {
            "subject": "Сброс пароля ChatAI",
            "body": "Кто-то (надеемся, вы) запросил сброс пароля вашего аккаунта ChatAI.\n\n"
            "Задать новый пароль: {link}\n\nСсылка одноразовая и действует {minutes} минут; "
            "после сброса все сеансы аккаунта будут завершены. "
            "Если это были не вы, проигнорируйте письмо: пароль не изменится.",
            "action": "Задать новый пароль",
        },
    },
    "verify_email": {
        "en": {
            "subject": "Confirm your e-mail for ChatAI",
            "body": "Welcome to ChatAI! Confirm that this address is yours: {link}\n\n"
            "Your account already works; inviting teammates and topping up the balance need a confirmed address.",
            "action": "Confirm the address",
        },
        "ru": {
            "subject": "Подтвердите эл. почту для ChatAI",
            "body": "Добро пожаловать в ChatAI! Подтвердите, что это ваш адрес: {link}\n\n"
            "Аккаунт уже работает; чтобы приглашать коллег и пополнять баланс, адрес нужно подтвердить.",
            "action": "Подтвердить адрес",
        },
    },
}

ROLE_NAMES = {
    "en": {"owner": "owner", "admin": "admin", "operator": "operator"},
    "ru": {"owner": "владелец", "admin": "администратор", "operator": "оператор"},
}


def render(kind: str, lang: str, **params: object) -> tuple[str, str, str]:
    """(subject, text, html) of a template; unknown languages fall back to English."""
    template = TEMPLATES[kind]["ru" if lang == "ru" else "en"]
    if "role" in params:
        params["role"] = ROLE_NAMES["ru" if lang == "ru" else "en"].get(str(params["role"]), params["role"])
    subject = template["subject"].format(**params)
    text = template["body"].format(**params)
    safe = {k: html.escape(str(v)) for k, v in params.items()}
    paragraphs = "".join(f"<p>{p}</p>" for p in template["body"].format(**safe).split("\n\n"))
    link = safe.get("link", "")
    button = (
        (
            f'<p><a href="{link}" style="background:#3e63dd;color:#fff;padding:10px 16px;border-radius:6px;'
            f'text-decoration:none">{html.escape(template["action"])}</a></p>'
        )
        if link
        else ""
    )
    body_html = f'<div style="font-family:sans-serif;font-size:15px;line-height:1.5">{paragraphs}{button}</div>'
    return subject, text, body_html
