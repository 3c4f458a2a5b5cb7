"""`t(key)`: a UI string that follows the language the user picked."""

from __future__ import annotations

import reflex as rx

from chatai_app.i18n import UI
from chatai_app.state.session import SessionState


def t(key: str) -> rx.Var:
    strings = UI[key]
    return rx.cond(SessionState.lang == "ru", strings["ru"], strings["en"])
