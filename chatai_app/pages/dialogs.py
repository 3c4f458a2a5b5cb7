"""/dialogs — every conversation of the workspace, filtered, searchable, updating live: a full-width list of
compact rows beside the transcript (phones: the list, then the transcript with a back button)."""

from __future__ import annotations

import reflex as rx

from chatai_app.components.i18n import enum_label, t
from chatai_app.components.layout import app_shell, empty_state, page_header
from chatai_app.state.dialogs import DialogsState as D
from chatai_app.state.session import SessionState

CHANNELS = ["telegram", "widget", "api", "playground"]
STATUSES = ["ai", "waiting", "operator", "closed"]
STATUS_COLOURS = {"waiting": "orange", "operator": "green", "ai": "blue", "closed": "gray"}


def _select(name: str, group: str, options: list[str], value: rx.Var) -> rx.Component:
    return rx.select.root(
        rx.select.trigger(id=f"filter-{name}"),
        rx.select.content(
            rx.select.item(t("all"), value="all"), *[rx.select.item(t(f"{group}.{o}"), value=o) for o in options]
        ),
        value=value,
        on_change=lambda v: D.set_filter(name, v),
        size="2",
    )


def _filters() -> rx.Component:
    return rx.card(
        rx.box(
            rx.text(t("channel"), size="2"),
            _select("channel", "channel", CHANNELS, D.channel),
            rx.text(t("status"), size="2"),
            _select("status", "dialog", STATUSES, D.status),
            rx.text(t("assistant"), size="2"),
            rx.select.root(
                rx.select.trigger(id="filter-assistant"),
                rx.select.content(
                    rx.select.item(t("all"), value="all"),
                    rx.foreach(D.assistant_options, lambda o: rx.select.item(o[1], value=o[0])),
                ),
                value=D.assistant,
                on_change=lambda v: D.set_filter("assistant", v),
                size="2",
            ),
            class_name="row-wrap",
        ),
        rx.form(
            rx.box(
                rx.input(
                    name="query", placeholder=t("search_text"), id="dialog-search", flex="1 1 14em", min_width="0"
                ),
                rx.text(t("from_date"), size="2"),
                rx.input(name="since", type="date", id="dialog-since"),
                rx.text(t("to_date"), size="2"),
                rx.input(name="until", type="date", id="dialog-until"),
                rx.button(t("search"), type="submit"),
                rx.button(t("clear_filters"), type="button", variant="ghost", on_click=D.clear_filters),
                class_name="row-wrap",
            ),
            on_submit=D.apply_filters,
            reset_on_submit=False,
            margin_top="0.75em",
        ),
    )


def _status(status: rx.Var) -> rx.Component:
    return rx.match(
        status,
        *[(s, rx.badge(t(f"dialog.{s}"), color_scheme=c)) for s, c in STATUS_COLOURS.items()],
        rx.badge(status),
    )


def _row(row: rx.Var) -> rx.Component:
    return rx.box(
        rx.hstack(
            rx.text(
                rx.cond(row["user"] != "", row["user"], t("visitor")), weight="bold", size="2", class_name="ellipsis"
            ),
            rx.badge(enum_label(row["channel"], "channel"), variant="outline"),
            _status(row["status"]),
            rx.cond(row["error"] != "", rx.icon("triangle-alert", size=14, color="var(--red-9)")),
            spacing="2",
            align="center",
            min_width="0",
        ),
        rx.text(row["when"], size="1", color_scheme="gray", white_space="nowrap"),
        rx.box(rx.text.span(row["assistant"], weight="medium"), " · ", row["preview"], class_name="dialog-row-preview"),
        on_click=D.open_dialog(row["id"]),
        class_name="dialog-row",
        custom_attrs={"data-selected": rx.cond(D.selected == row["id"], "yes", "no"), "data-dialog": row["id"]},
    )


def _feedback(vote: rx.Var) -> rx.Component:
    """The end user's 👍/👎 on this answer (widget, Telegram), when they gave one."""
    return rx.match(
        vote,
        ("up", rx.badge(rx.icon("thumbs-up", size=12), t("fb.up"), color_scheme="green", title=t("fb.rated_up"),
                        class_name="answer-vote", custom_attrs={"data-vote": "up"})),
        ("down", rx.badge(rx.icon("thumbs-down", size=12), t("fb.down"), color_scheme="red", title=t("fb.rated_down"),
                          class_name="answer-vote", custom_attrs={"data-vote": "down"})),
        rx.fragment(),
    )  # fmt: skip


def _message(message: rx.Var) -> rx.Component:
    return rx.box(
        rx.box(enum_label(message["role"], "msg"), " · ", message["meta"], class_name="bubble-meta"),
        rx.text(message["content"], white_space="pre-wrap", size="2"),
        rx.cond(
            message["sources"] != "", rx.text(t("sources"), ": ", message["sources"], size="1", color_scheme="gray")
        ),
        _feedback(message["feedback"]),
        rx.cond(
            message["took_ms"] != "",
            rx.text(
                t("trace.reply_in"),
                " ",
                message["took_ms"],
                " ",
                t("trace.ms"),
                rx.cond(
                    message["model_ms"] != "",
                    rx.fragment(" · ", t("trace.model"), " ", message["model_ms"], " ", t("trace.ms")),
                ),
                size="1",
                color_scheme="gray",
                class_name="reply-timing",
            ),
        ),
        class_name="bubble transcript-message",
        custom_attrs={"data-role": message["role"]},
    )


def dialogs_page() -> rx.Component:
    return app_shell(
        page_header(t("dialogs")),
        _filters(),
        rx.box(
            rx.card(
                rx.cond(
                    D.rows.length() > 0,
                    rx.box(rx.foreach(D.rows, _row), id="dialog-table", class_name="dialog-list"),
                    empty_state(
                        "messages-square",
                        t("dialogs_empty"),
                        rx.button(t("clear_filters"), variant="soft", on_click=D.clear_filters),
                    ),
                ),
                class_name="dialog-list-card",
                padding="0",
            ),
            rx.card(
                rx.cond(
                    D.selected != "",
                    rx.vstack(
                        rx.hstack(
                            rx.icon_button(
                                rx.icon("arrow-left"),
                                variant="ghost",
                                on_click=D.close_transcript,
                                class_name="phone-only",
                                id="dialog-back",
                                aria_label="Back",
                            ),
                            rx.heading(t("transcript"), size="4", flex="1"),
                            rx.link(t("open_in_inbox"), href="/inbox", size="2"),
                            align="center",
                            width="100%",
                        ),
                        rx.box(rx.foreach(D.transcript, _message), class_name="transcript", padding="0"),
                        width="100%",
                    ),
                    rx.text(t("pick_dialog_read"), color_scheme="gray", size="2"),
                ),
                id="transcript",
                class_name="dialog-transcript",
            ),
            class_name="dialogs",
            custom_attrs={"data-open": rx.cond(D.selected != "", "yes", "no")},
        ),
        active="dialogs",
    )


def register(app: rx.App) -> None:
    app.add_page(dialogs_page, route="/dialogs", title="Dialogs · ChatAI", on_load=[SessionState.guard, D.load])
