"""/dialogs — every conversation of the workspace, filtered, searchable, updating live."""

from __future__ import annotations

import reflex as rx

from chatai_app.components.i18n import t
from chatai_app.components.layout import app_shell
from chatai_app.state.dialogs import DialogsState as D
from chatai_app.state.session import SessionState

CHANNELS = ["all", "telegram", "widget", "api", "playground"]
STATUSES = ["all", "ai", "waiting", "operator", "closed"]


def _select(name: str, options: list[str], value: rx.Var) -> rx.Component:
    return rx.select(options, value=value, on_change=lambda v: D.set_filter(name, v), id=f"filter-{name}", size="2")


def _filters() -> rx.Component:
    return rx.vstack(
        rx.hstack(
            rx.text(t("channel"), size="2"), _select("channel", CHANNELS, D.channel),
            rx.text(t("status"), size="2"), _select("status", STATUSES, D.status),
            rx.text(t("assistant"), size="2"),
            rx.select.root(
                rx.select.trigger(),
                rx.select.content(rx.foreach(D.assistant_options, lambda o: rx.select.item(o[1], value=o[0]))),
                value=D.assistant, on_change=lambda v: D.set_filter("assistant", v), size="2",
            ),
            align="center", wrap="wrap",
        ),
        rx.form(
            rx.hstack(
                rx.input(name="query", placeholder=t("search_text"), id="dialog-search", width="16em"),
                rx.text(t("from_date"), size="2"), rx.input(name="since", type="date"),
                rx.text(t("to_date"), size="2"), rx.input(name="until", type="date"),
                rx.button(t("search"), type="submit"),
                align="center", wrap="wrap",
            ),
            on_submit=D.apply_filters, reset_on_submit=False,
        ),
        width="100%",
    )  # fmt: skip


def _row(row: rx.Var) -> rx.Component:
    return rx.table.row(
        rx.table.cell(rx.text(row["when"], size="1")),
        rx.table.cell(rx.badge(row["channel"])),
        rx.table.cell(row["assistant"]),
        rx.table.cell(row["user"]),
        rx.table.cell(rx.badge(row["status"], color_scheme=rx.cond(row["error"] != "", "red", "gray"))),
        rx.table.cell(rx.text(row["preview"], size="1", color_scheme="gray")),
        on_click=D.open_dialog(row["id"]),
        cursor="pointer",
        class_name="dialog-row",
    )


def _message(message: rx.Var) -> rx.Component:
    return rx.box(
        rx.hstack(rx.badge(message["role"]), rx.text(message["meta"], size="1", color_scheme="gray")),
        rx.text(message["content"], white_space="pre-wrap", size="2"),
        rx.cond(
            message["sources"] != "", rx.text(t("sources"), ": ", message["sources"], size="1", color_scheme="gray")
        ),
        padding_y="0.4em",
        class_name="transcript-message",
    )


def dialogs_page() -> rx.Component:
    return app_shell(
        rx.heading(t("dialogs"), size="7"),
        _filters(),
        rx.grid(
            rx.card(
                rx.cond(
                    D.rows.length() > 0,
                    rx.table.root(rx.table.body(rx.foreach(D.rows, _row)), width="100%", id="dialog-table"),
                    rx.text(t("no_dialogs"), color_scheme="gray"),
                )
            ),
            rx.card(rx.heading(t("transcript"), size="4"), rx.foreach(D.transcript, _message), id="transcript"),
            columns="2",
            spacing="4",
            width="100%",
        ),
    )


def register(app: rx.App) -> None:
    app.add_page(dialogs_page, route="/dialogs", title="Dialogs · ChatAI", on_load=[SessionState.guard, D.load])
