"""/assistants"""

from __future__ import annotations

import reflex as rx

from chatai_app.components.i18n import t
from chatai_app.components.layout import app_shell, field
from chatai_app.state.assistants import AssistantsState
from chatai_app.state.session import SessionState


def _row(item: rx.Var) -> rx.Component:
    return rx.card(
        rx.hstack(
            rx.icon("bot"),
            rx.link(item["name"], href="/assistants/" + item["id"], weight="medium"),
            rx.spacer(),
            rx.link(t("knowledge"), href="/assistants/" + item["id"]),
            align="center",
        ),
        width="100%",
    )


def assistants_page() -> rx.Component:
    return app_shell(
        rx.heading(t("assistants"), size="7"),
        rx.form(
            rx.hstack(
                rx.box(field(t("new_assistant"), "name", error=AssistantsState.name_error), flex="1"),
                rx.button(t("create"), type="submit", id="assistant-create", margin_top="1.6em"),
                align="start",
                width="100%",
            ),
            on_submit=AssistantsState.create,
            reset_on_submit=True,
            width="100%",
        ),
        rx.cond(
            AssistantsState.items.length() > 0,
            rx.vstack(rx.foreach(AssistantsState.items, _row), width="100%", id="assistant-list"),
            rx.text(t("no_assistants"), color_scheme="gray"),
        ),
    )


def register(app: rx.App) -> None:
    app.add_page(
        assistants_page,
        route="/assistants",
        title="Assistants · ChatAI",
        on_load=[SessionState.guard, AssistantsState.load],
    )
