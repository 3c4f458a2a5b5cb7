"""/assistants/[assistant_id] — the assistant's knowledge: documents, websites, Q&A, retrieval test."""

from __future__ import annotations

import reflex as rx

from chatai_app.components.i18n import t
from chatai_app.components.layout import app_shell, confirm, empty_state
from chatai_app.state.knowledge import KnowledgeState
from chatai_app.state.session import SessionState

STATUS_COLORS = {"ready": "green", "failed": "red", "processing": "blue", "pending": "gray"}
SITE_COLORS = {"ready": "green", "failed": "red", "crawling": "blue", "pending": "gray"}


def _status_badge(status: rx.Var) -> rx.Component:
    return rx.match(
        status,
        *[(name, rx.badge(t(f"doc.{name}"), color_scheme=color)) for name, color in STATUS_COLORS.items()],
        rx.badge(status),
    )


def _document_row(doc: rx.Var) -> rx.Component:
    return rx.table.row(
        rx.table.cell(
            rx.vstack(rx.text(doc["filename"], weight="medium"), rx.text(doc["size"], size="1"), spacing="0")
        ),
        rx.table.cell(
            rx.vstack(
                _status_badge(doc["status"]),
                rx.cond(
                    (doc["status"] == "processing") | (doc["status"] == "pending"),
                    rx.progress(value=doc["progress"].to(int), max=100, width="8em"),
                ),
                rx.cond(doc["error"] != "", rx.text(doc["error"], size="1", color_scheme="red")),
                spacing="1",
            )
        ),
        rx.table.cell(doc["chunks"]),
        rx.table.cell(
            rx.hstack(
                rx.button(t("reindex"), size="1", variant="soft", on_click=KnowledgeState.reindex(doc["id"])),
                confirm(
                    rx.button(t("delete"), size="1", variant="soft", color_scheme="red", class_name="document-delete"),
                    t("delete_document"),
                    rx.fragment(rx.text.span(doc["filename"], weight="bold"), ": ", t("delete_document_what")),
                    t("delete"),
                    KnowledgeState.delete_document(doc["id"]),
                    confirm_id="confirm-delete-document",
                ),
            )
        ),
        class_name="document-row",
    )


def _documents() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading(t("documents"), size="4"),
            rx.upload(
                rx.vstack(rx.icon("upload"), rx.text(t("upload_hint"), size="2"), align="center"),
                id="kb_upload",
                multiple=True,
                border="1px dashed var(--gray-a7)",
                padding="1.2em",
                width="100%",
            ),
            rx.hstack(
                rx.foreach(rx.selected_files("kb_upload"), lambda name: rx.badge(name)),
                rx.button(
                    t("upload"),
                    id="kb-upload-button",
                    on_click=KnowledgeState.upload(rx.upload_files(upload_id="kb_upload")),
                ),
                wrap="wrap",
            ),
            rx.foreach(
                KnowledgeState.upload_errors,
                lambda e: rx.text(e, size="1", color_scheme="red", class_name="upload-error field-error"),
            ),
            rx.table.root(
                rx.table.header(
                    rx.table.row(
                        rx.table.column_header_cell(t("file"), min_width="8em"),
                        rx.table.column_header_cell(t("status")),
                        rx.table.column_header_cell(t("chunks")),
                        rx.table.column_header_cell(""),
                    )
                ),
                rx.table.body(rx.foreach(KnowledgeState.documents, _document_row)),
                width="100%",
            ),
            rx.cond(KnowledgeState.documents.length() == 0, empty_state("file-text", t("documents_empty"))),
            width="100%",
        ),
        width="100%",
    )


def _website_row(site: rx.Var) -> rx.Component:
    return rx.table.row(
        rx.table.cell(
            rx.vstack(
                rx.link(site["url"], href=site["url"], is_external=True, weight="medium", class_name="website-url"),
                rx.text(site["last"], size="1", color_scheme="gray"),
                spacing="0",
            )
        ),
        rx.table.cell(
            rx.vstack(
                rx.match(
                    site["status"],
                    *[(name, rx.badge(t(f"site.{name}"), color_scheme=color)) for name, color in SITE_COLORS.items()],
                    rx.badge(site["status"]),
                ),
                rx.cond(
                    (site["status"] == "crawling") | (site["status"] == "pending"),
                    rx.progress(value=site["progress"].to(int), max=100, width="8em"),
                ),
                rx.cond(site["error"] != "", rx.text(site["error"], size="1", color_scheme="red")),
                spacing="1",
                class_name="website-status",
            )
        ),
        rx.table.cell(rx.text(site["pages"], class_name="website-pages")),
        rx.table.cell(rx.text(site["changes"], size="1")),
        rx.table.cell(
            rx.hstack(
                rx.button(
                    t("website_recrawl_now"),
                    size="1",
                    variant="soft",
                    class_name="website-recrawl",
                    on_click=KnowledgeState.recrawl_website(site["id"]),
                ),
                confirm(
                    rx.button(t("delete"), size="1", variant="soft", color_scheme="red", class_name="website-delete"),
                    t("website_delete"),
                    rx.fragment(rx.text.span(site["url"], weight="bold"), ": ", t("website_delete_what")),
                    t("delete"),
                    KnowledgeState.delete_website(site["id"]),
                    confirm_id="confirm-delete-website",
                ),
            )
        ),
        class_name="website-row",
    )


def _field_error(name: str) -> rx.Component:
    return rx.cond(
        KnowledgeState.website_errors.contains(name),
        rx.text(KnowledgeState.website_errors[name], size="1", color_scheme="red", class_name="field-error"),
    )


def _websites() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading(t("websites"), size="4"),
            rx.text(t("website_hint"), size="2", color_scheme="gray"),
            rx.form(
                rx.vstack(
                    rx.input(
                        name="website_url", id="website_url", placeholder=t("website_url"), width="100%", type="url"
                    ),
                    _field_error("url"),
                    _field_error("sitemap_url"),
                    rx.hstack(
                        rx.vstack(
                            rx.text(t("website_max_pages"), size="1"),
                            rx.input(
                                name="max_pages", id="website_max_pages", default_value="50", type="number", width="6em"
                            ),
                            _field_error("max_pages"),
                            spacing="1",
                        ),
                        rx.vstack(
                            rx.text(t("website_depth"), size="1"),
                            rx.input(
                                name="max_depth", id="website_depth", default_value="2", type="number", width="5em"
                            ),
                            _field_error("max_depth"),
                            spacing="1",
                        ),
                        rx.vstack(
                            rx.text(t("website_recrawl"), size="1"),
                            rx.select.root(
                                rx.select.trigger(id="website_recrawl"),
                                rx.select.content(
                                    *[rx.select.item(t(f"recrawl.{h}"), value=h) for h in ("0", "24", "168")]
                                ),
                                value=KnowledgeState.website_recrawl,
                                on_change=KnowledgeState.set_website_recrawl,
                            ),
                            spacing="1",
                        ),
                        rx.button(t("website_import"), type="submit", id="website-import"),
                        align="end",
                        wrap="wrap",
                    ),
                    width="100%",
                ),
                on_submit=KnowledgeState.add_website,
                width="100%",
            ),
            rx.table.root(
                rx.table.header(
                    rx.table.row(
                        rx.table.column_header_cell(t("websites"), min_width="10em"),
                        rx.table.column_header_cell(t("status")),
                        rx.table.column_header_cell(t("website_pages")),
                        rx.table.column_header_cell(t("website_changes")),
                        rx.table.column_header_cell(""),
                    )
                ),
                rx.table.body(rx.foreach(KnowledgeState.websites, _website_row)),
                width="100%",
            ),
            rx.cond(KnowledgeState.websites.length() == 0, empty_state("globe", t("website_empty"))),
            width="100%",
        ),
        width="100%",
        id="websites",
    )


def _qa_row(pair: rx.Var) -> rx.Component:
    return rx.hstack(
        rx.vstack(rx.text(pair["question"], weight="medium"), rx.text(pair["answer"], size="2"), spacing="0", flex="1"),
        rx.icon_button(rx.icon("trash-2"), size="1", variant="ghost", on_click=KnowledgeState.delete_qa(pair["id"])),
        width="100%",
        class_name="qa-row",
    )


def _qa() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading(t("qa_pairs"), size="4"),
            rx.form(
                rx.vstack(
                    rx.input(name="question", id="question", placeholder=t("question"), width="100%"),
                    rx.cond(
                        KnowledgeState.qa_errors.contains("question"),
                        rx.text(KnowledgeState.qa_errors["question"], size="1", color_scheme="red"),
                    ),
                    rx.text_area(name="answer", id="answer", placeholder=t("answer"), width="100%"),
                    rx.cond(
                        KnowledgeState.qa_errors.contains("answer"),
                        rx.text(KnowledgeState.qa_errors["answer"], size="1", color_scheme="red"),
                    ),
                    rx.button(t("add"), type="submit", id="qa-add"),
                    width="100%",
                ),
                on_submit=KnowledgeState.add_qa,
                reset_on_submit=True,
                width="100%",
            ),
            rx.hstack(
                rx.upload(
                    rx.button(t("import_csv"), variant="soft", size="1"), id="qa_csv", accept={"text/csv": [".csv"]}
                ),
                rx.button(
                    t("upload"), size="1", on_click=KnowledgeState.import_csv(rx.upload_files(upload_id="qa_csv"))
                ),
                rx.text(KnowledgeState.import_report, size="1"),
                align="center",
            ),
            rx.foreach(KnowledgeState.qa_pairs, _qa_row),
            width="100%",
        ),
        width="100%",
    )


def _result(hit: rx.Var) -> rx.Component:
    return rx.box(
        rx.hstack(
            rx.badge(hit["source"]),
            rx.cond(hit["page"] != "", rx.badge("p. ", hit["page"], color_scheme="gray")),
            rx.text(hit["score"], size="1", color_scheme="gray"),
        ),
        rx.text(hit["text"], size="2"),
        class_name="search-result",
        padding_y="0.4em",
    )


def _search() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading(t("test_search"), size="4"),
            rx.form(
                rx.hstack(
                    rx.input(name="query", id="kb-query", width="100%"),
                    rx.button(t("search"), type="submit"),
                    width="100%",
                ),
                on_submit=KnowledgeState.search,
                reset_on_submit=False,
                width="100%",
            ),
            rx.foreach(KnowledgeState.results, _result),
            width="100%",
        ),
        width="100%",
    )


def _remove_bot(bot: rx.Var) -> rx.Component:
    """A remove button that asks first: the bot stops answering at once."""
    return rx.alert_dialog.root(
        rx.alert_dialog.trigger(
            rx.icon_button(rx.icon("trash-2"), size="1", variant="ghost", color_scheme="red", class_name="bot-remove")
        ),
        rx.alert_dialog.content(
            rx.alert_dialog.title(t("remove_bot"), " @", bot["username"]),
            rx.alert_dialog.description(t("remove_bot_confirm")),
            rx.hstack(
                rx.alert_dialog.cancel(rx.button(t("cancel"), variant="soft", color_scheme="gray")),
                rx.alert_dialog.action(
                    rx.button(
                        t("delete"),
                        color_scheme="red",
                        class_name="bot-remove-confirm",
                        on_click=KnowledgeState.remove_bot(bot["id"]),
                    )
                ),
                spacing="3",
                justify="end",
                margin_top="1em",
            ),
        ),
    )


def _bot_row(bot: rx.Var) -> rx.Component:
    return rx.hstack(
        rx.icon("send", size=16),
        rx.text("@", bot["username"], weight="medium"),
        rx.select(
            ["polling", "webhook"],
            value=bot["mode"],
            on_change=lambda mode: KnowledgeState.change_bot_mode(bot["id"], mode),
            size="1",
            class_name="bot-mode",
        ),
        rx.badge(bot["status"], color_scheme=rx.cond(bot["status"] == "running", "green", "gray")),
        rx.text(bot["hint"], size="1", color_scheme="gray"),
        rx.cond(bot["last_update"] != "", rx.text("⟳ ", bot["last_update"], size="1", color_scheme="gray")),
        rx.cond(bot["error"] != "", rx.text(bot["error"], size="1", color_scheme="red")),
        rx.spacer(),
        rx.switch(checked=bot["enabled"] != "", on_change=lambda value: KnowledgeState.toggle_bot(bot["id"], value)),
        _remove_bot(bot),
        width="100%",
        align="center",
        class_name="bot-row",
    )


def _bots() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading(t("telegram_bots"), size="4"),
            rx.form(
                rx.hstack(
                    rx.input(name="token", id="bot-token", placeholder=t("bot_token"), type="password", width="100%"),
                    rx.select(
                        ["polling", "webhook"], value=KnowledgeState.bot_mode, on_change=KnowledgeState.set_bot_mode
                    ),
                    rx.button(t("connect"), type="submit", id="bot-connect"),
                    width="100%",
                ),
                on_submit=KnowledgeState.connect_bot,
                reset_on_submit=False,
                width="100%",
            ),
            rx.cond(
                KnowledgeState.bot_error != "",
                rx.text(KnowledgeState.bot_error, color_scheme="red", size="2", id="bot-error"),
            ),
            rx.foreach(KnowledgeState.bots, _bot_row),
            width="100%",
        ),
        width="100%",
    )


def knowledge_page() -> rx.Component:
    return app_shell(
        rx.link(rx.hstack(rx.icon("arrow-left", size=16), t("back")), href="/assistants"),
        rx.cond(
            KnowledgeState.not_found,
            rx.heading(t("not_found"), size="6"),
            rx.vstack(
                rx.hstack(
                    rx.heading(
                        KnowledgeState.assistant_name,
                        " · ",
                        t("knowledge"),
                        size="6",
                        id="knowledge-heading",
                        class_name="page-title",
                    ),
                    rx.link(
                        rx.button(t("playground"), variant="soft"),
                        href="/assistants/" + KnowledgeState.current_assistant + "/playground",
                        id="to-playground",
                    ),
                    rx.link(
                        rx.button(t("settings"), variant="soft"),
                        href="/assistants/" + KnowledgeState.current_assistant + "/settings",
                        id="to-settings",
                    ),
                    width="100%",
                    align="center",
                    wrap="wrap",
                ),
                _documents(),
                _websites(),
                _bots(),
                rx.box(_qa(), _search(), class_name="grid-2", width="100%"),
                width="100%",
                spacing="4",
            ),
        ),
        active="assistants",
    )


def register(app: rx.App) -> None:
    app.add_page(
        knowledge_page,
        route="/assistants/[assistant_id]",
        title="Knowledge · ChatAI",
        on_load=[SessionState.guard, KnowledgeState.load],
    )
