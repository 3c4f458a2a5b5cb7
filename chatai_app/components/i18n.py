"""`t(key)`: a UI string that follows the language the user picked; `enum_label` for values that come from the
server (statuses, roles, transaction types...), `both_text` for server-made texts sent in both languages."""

from __future__ import annotations

import reflex as rx

from chatai_app.i18n import UI
from chatai_app.state.session import SessionState


def t(key: str) -> rx.Var:
    strings = UI[key]
    return rx.cond(SessionState.lang == "ru", strings["ru"], strings["en"])


def enum_label(value: rx.Var, group: str) -> rx.Component:
    """The catalogue's label of a server value (`<group>.<value>` keys); unknown values are shown as they are."""
    prefix = f"{group}."
    known = [key[len(prefix) :] for key in UI if key.startswith(prefix)]
    return rx.match(value, *[(v, t(prefix + v)) for v in known], value)


def both_text(var: rx.Var) -> rx.Var:
    """A dict var with "en" and "ru" texts, shown in the interface language."""
    return rx.cond(SessionState.lang == "ru", var["ru"], var["en"])
