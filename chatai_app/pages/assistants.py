"""/assistants — the workspace's assistants: create, open, archive / restore, delete (confirmed, saying what
goes with it)."""

from __future__ import annotations

import reflex as rx

from chatai_app.components.i18n import t
from chatai_app.components.layout import app_shell, empty_state, field, page_header
from chatai_app.state.assistants import AssistantsState as A
from chatai_app.state.session import SessionState


def _row(item: rx.Var) -> rx.Component:
    archived = item["archived"] != ""
    return rx.card(
        rx.box(
            rx.icon("bot", color=rx.cond(archived, "var(--gray-8)", "var(--accent-9)")),
            rx.link(
                item["name"],
                href="/assistants/" + item["id"],
                weight="medium",
                class_name="ellipsis",
                flex="1",
                min_width="0",
            ),
            rx.cond(archived, rx.badge(t("archived"), color_scheme="gray")),
            rx.link(
                rx.button(t("playground"), variant="soft", size="1"), href="/assistants/" + item["id"] + "/playground"
            ),
            rx.cond(
                archived,
                rx.button(
                    t("restore"),
                    size="1",
                    variant="soft",
                    on_click=A.set_archived(item["id"], False),
                    class_name="assistant-restore",
                ),
                rx.button(
                    t("archive"),
                    size="1",
                    variant="soft",
                    color_scheme="gray",
                    on_click=A.set_archived(item["id"], True),
                    class_name="assistant-archive",
                ),
            ),
            rx.button(
                t("delete"),
                size="1",
                variant="soft",
                color_scheme="red",
                on_click=A.ask_delete(item["id"]),
                class_name="assistant-delete",
            ),
            class_name="row-wrap",
        ),
        width="100%",
        class_name="assistant-row",
        custom_attrs={"data-name": item["name"]},
    )


def _delete_dialog() -> rx.Component:
    what = A.footprint
    return rx.alert_dialog.root(
        rx.alert_dialog.content(
            rx.alert_dialog.title(t("delete_assistant")),
            rx.alert_dialog.description(t("delete_assistant_what"), size="2"),
            rx.box(
                rx.text(t("will_be_deleted"), ": ", weight="bold", size="2"),
                rx.text(
                    t("documents"),
                    ": ",
                    what.get("documents", "0"),
                    " · ",
                    t("qa_pairs"),
                    ": ",
                    what.get("qa_pairs", "0"),
                    size="2",
                ),
                rx.text(
                    t("telegram_bots"),
                    ": ",
                    what.get("bots", "0"),
                    " · ",
                    t("dialogs"),
                    ": ",
                    what.get("dialogs", "0"),
                    size="2",
                    id="delete-footprint",
                ),
                margin_top="0.75em",
            ),
            rx.flex(
                rx.alert_dialog.cancel(
                    rx.button(t("cancel"), variant="soft", color_scheme="gray", on_click=A.cancel_delete)
                ),
                rx.alert_dialog.action(
                    rx.button(t("delete"), color_scheme="red", on_click=A.confirm_delete, id="confirm-delete-assistant")
                ),
                spacing="3",
                justify="end",
                margin_top="1em",
                wrap="wrap",
            ),
            max_width="30em",
        ),
        open=A.pending_delete != "",
    )


def _skeleton() -> rx.Component:
    return rx.vstack(
        *[rx.skeleton(rx.box(height="3.2em", width="100%"), loading=True) for _ in range(3)],
        width="100%",
        id="assistants-loading",
    )


def assistants_page() -> rx.Component:
    return app_shell(
        page_header(t("assistants")),
        rx.form(
            rx.box(
                rx.box(field(t("new_assistant"), "name", error=A.name_error), flex="1 1 16em", min_width="0"),
                rx.button(t("create"), type="submit", id="assistant-create", size="3", margin_top="1.5em"),
                class_name="row-wrap",
                align_items="start",
            ),
            on_submit=A.create,
            reset_on_submit=True,
            width="100%",
        ),
        rx.cond(
            ~A.loaded,
            _skeleton(),
            rx.cond(
                A.items.length() > 0,
                rx.vstack(rx.foreach(A.items, _row), width="100%", id="assistant-list"),
                empty_state("bot", t("no_assistants_next"), id="assistants-empty"),
            ),
        ),
        _delete_dialog(),
        active="assistants",
    )


def register(app: rx.App) -> None:
    app.add_page(
        assistants_page,
        route="/assistants",
        title="Assistants · ChatAI",
        on_load=[SessionState.guard, A.load],
    )
