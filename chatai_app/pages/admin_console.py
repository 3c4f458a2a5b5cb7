"""/admin (users, workspaces, the two-factor policy), /admin/db (read-only explorer), /admin/logs, /admin/outbox —
the platform admins' console (issue 14)."""

from __future__ import annotations

import reflex as rx

from chatai_app.components.admin import admin_shell, data_table
from chatai_app.components.i18n import t
from chatai_app.components.layout import confirm, empty_state
from chatai_app.state.admin_console import AdminConsoleState as C
from chatai_app.state.admin_console import AdminDbState as D
from chatai_app.state.admin_console import AdminLogsState as L
from chatai_app.state.admin_console import AdminOutboxState as O
from chatai_app.state.session import SessionState


def _reason_dialog(trigger: rx.Component, title: rx.Var, on_submit, dialog_id: str) -> rx.Component:
    """Blocking asks for a reason and a confirmation in one dialog."""
    return rx.dialog.root(
        rx.dialog.trigger(trigger),
        rx.dialog.content(
            rx.dialog.title(title),
            rx.form(
                rx.vstack(
                    rx.text(t("adm.block_effect"), size="2", color_scheme="gray"),
                    rx.input(
                        name="reason",
                        placeholder=t("adm.reason"),
                        id=f"{dialog_id}-reason",
                        required=True,
                        min_length=3,
                        width="100%",
                    ),
                    rx.hstack(
                        rx.dialog.close(rx.button(t("cancel"), variant="soft", color_scheme="gray", type="button")),
                        rx.dialog.close(
                            rx.button(t("adm.block"), color_scheme="red", type="submit", id=f"{dialog_id}-confirm")
                        ),
                        justify="end",
                        width="100%",
                    ),
                    spacing="3",
                ),
                on_submit=on_submit,
                reset_on_submit=True,
            ),
            max_width="28em",
        ),
    )


def _user_row(user: rx.Var) -> rx.Component:
    block = rx.button(
        t("adm.block"),
        size="1",
        color_scheme="red",
        variant="soft",
        class_name="user-block",
        on_click=C.ask_block_user(user["id"], user["email"]),
    )
    unblock = confirm(
        rx.button(t("adm.unblock"), size="1", variant="soft", class_name="user-unblock"),
        t("adm.unblock"),
        rx.text(user["email"]),
        t("adm.unblock"),
        C.unblock_user(user["id"]),
        danger=False,
    )
    return rx.table.row(
        rx.table.cell(rx.text(user["email"], weight="medium"), rx.text(user["name"], size="1", color_scheme="gray")),
        rx.table.cell(
            rx.hstack(
                rx.cond(user["admin"] == "yes", rx.badge(t("admin_badge"), color_scheme="violet")),
                rx.cond(user["blocked"] == "yes", rx.badge(t("adm.blocked"), color_scheme="red")),
                rx.cond(user["verified"] != "yes", rx.badge(t("adm.unverified"), color_scheme="amber")),
                rx.cond(user["two_factor"] == "yes", rx.badge("2FA", color_scheme="green")),
                wrap="wrap",
            )
        ),
        rx.table.cell(user["workspaces"]),
        rx.table.cell(user["last_login"]),
        rx.table.cell(rx.cond(user["blocked"] == "yes", unblock, block)),
        class_name="admin-user-row",
        custom_attrs={"data-email": user["email"]},
    )


def _block_user_dialog() -> rx.Component:
    """One dialog for the whole list (opened by a row's Block button): the reason, then the confirmation."""
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title(t("adm.block_user"), ": ", C.blocking_email),
            rx.form(
                rx.vstack(
                    rx.text(t("adm.block_effect"), size="2", color_scheme="gray"),
                    rx.input(
                        name="reason",
                        placeholder=t("adm.reason"),
                        id="block-user-reason",
                        required=True,
                        min_length=3,
                        width="100%",
                    ),
                    rx.hstack(
                        rx.button(
                            t("cancel"),
                            variant="soft",
                            color_scheme="gray",
                            type="button",
                            on_click=C.cancel_block_user,
                        ),
                        rx.button(t("adm.block"), color_scheme="red", type="submit", id="block-user-confirm"),
                        justify="end",
                        width="100%",
                    ),
                    spacing="3",
                ),
                on_submit=C.block_user,
                reset_on_submit=True,
            ),
            max_width="28em",
        ),
        open=C.blocking_user_id != "",
        on_open_change=C.dialog_open_changed,
    )


def _workspace_row(space: rx.Var) -> rx.Component:
    return rx.table.row(
        rx.table.cell(rx.link(space["name"], on_click=C.open_workspace(space["id"]), class_name="workspace-open")),
        rx.table.cell(space["owner"]),
        rx.table.cell(space["plan"]),
        rx.table.cell(space["balance"]),
        rx.table.cell(space["members"]),
        rx.table.cell(rx.cond(space["blocked"] == "yes", rx.badge(t("adm.blocked"), color_scheme="red"))),
        class_name="admin-workspace-row",
        custom_attrs={"data-owner": space["owner"]},
    )


def _workspace_detail() -> rx.Component:
    w = C.selected
    block = _reason_dialog(
        rx.button(t("adm.block_workspace"), color_scheme="red", variant="soft", id="workspace-block"),
        t("adm.block_workspace"),
        C.block_workspace,
        "block-workspace",
    )
    unblock = confirm(
        rx.button(t("adm.unblock_workspace"), variant="soft", id="workspace-unblock"),
        t("adm.unblock_workspace"),
        rx.text(w.get("name", "")),
        t("adm.unblock"),
        C.unblock_workspace,
        danger=False,
    )
    balance = rx.form(
        rx.hstack(
            rx.input(name="amount", placeholder=t("adm.amount_rub"), id="balance-amount", width="9em"),
            rx.input(name="reason", placeholder=t("adm.reason"), id="balance-reason", width="16em"),
            rx.button(t("adm.adjust"), type="submit", variant="soft", id="balance-submit"),
            wrap="wrap",
        ),
        on_submit=C.adjust_balance,
        reset_on_submit=True,
    )
    small = {"size": "1", "color_scheme": "gray"}
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.heading(w.get("name", ""), size="5", id="workspace-name-admin"),
                rx.cond(
                    w.get("blocked", "") == "yes",
                    rx.badge(t("adm.blocked"), color_scheme="red", id="workspace-blocked-badge"),
                ),
                rx.spacer(),
                rx.button(t("close"), variant="ghost", on_click=C.close_workspace),
                width="100%",
            ),
            rx.text(
                t("adm.owner"),
                ": ",
                w.get("owner", ""),
                rx.cond(
                    w.get("owner_blocked", "") == "yes",
                    rx.badge(t("adm.blocked"), color_scheme="red", margin_left="0.5em"),
                ),
            ),
            rx.cond(w.get("reason", "") != "", rx.text(t("adm.reason"), ": ", w.get("reason", ""), **small)),
            rx.grid(
                rx.box(
                    rx.text(t("adm.plan"), **small),
                    rx.select(C.plans, value=w.get("plan", ""), on_change=C.set_plan, id="workspace-plan"),
                ),
                rx.box(
                    rx.text(t("balance"), **small), rx.text(w.get("balance", ""), weight="bold", id="workspace-balance")
                ),
                rx.box(rx.text(t("adm.dialogs"), **small), rx.text(w.get("dialogs", ""))),
                rx.box(rx.text(t("adm.messages_30d"), **small), rx.text(w.get("messages_30d", ""))),
                columns="4",
                spacing="3",
                width="100%",
            ),
            balance,
            rx.heading(t("adm.usage"), size="3"),
            rx.hstack(
                rx.foreach(
                    C.usage, lambda u: rx.badge(u["resource"], ": ", u["used"], " / ", u["limit"], variant="surface")
                ),
                wrap="wrap",
            ),
            rx.heading(t("assistants"), size="3"),
            rx.hstack(rx.foreach(C.assistants, lambda a: rx.badge(a["name"], " · ", a["provider"])), wrap="wrap"),
            rx.heading(t("telegram_bots"), size="3"),
            rx.hstack(rx.foreach(C.bots, lambda b: rx.badge("@", b["username"], " · ", b["status"])), wrap="wrap"),
            rx.heading(t("team.members"), size="3"),
            rx.hstack(rx.foreach(C.members, lambda m: rx.badge(m["email"], " · ", m["role"])), wrap="wrap"),
            rx.heading(t("adm.audit"), size="3"),
            rx.vstack(
                rx.foreach(C.audit, lambda a: rx.text(a["at"], " ", rx.code(a["action"]), " ", a["meta"], size="1")),
                spacing="1",
            ),
            rx.hstack(rx.cond(w.get("blocked", "") == "yes", unblock, block)),
            spacing="3",
            width="100%",
        ),
        id="workspace-detail",
        width="100%",
    )


def console_page() -> rx.Component:
    return admin_shell(
        "adm.users_workspaces",
        rx.hstack(
            rx.form(
                rx.hstack(
                    rx.input(name="query", placeholder=t("adm.search_hint"), id="admin-search", width="20em"),
                    rx.button(t("search"), type="submit", id="admin-search-submit"),
                ),
                on_submit=C.search,
            ),
            rx.spacer(),
            rx.hstack(
                rx.text(t("adm.require_2fa"), size="2"),
                rx.switch(checked=C.admin_2fa_required, on_change=C.set_policy, id="admin-2fa-policy"),
                align="center",
            ),
            width="100%",
            wrap="wrap",
        ),
        rx.cond(C.selected.length() > 0, _workspace_detail()),  # type: ignore[attr-defined]
        rx.heading(t("adm.workspaces"), size="4"),
        data_table(
            ["name", "adm.owner", "adm.plan", "balance", "team.members", "status"],
            rx.foreach(C.workspaces, _workspace_row),
            id="admin-workspaces",
        ),
        rx.heading(t("adm.users"), size="4"),
        _block_user_dialog(),
        data_table(
            ["email", "status", "adm.workspaces", "team.last_login", "actions"],
            rx.foreach(C.users, _user_row),
            id="admin-users",
        ),
        denied=C.denied,
    )


def _cells(row: rx.Var) -> rx.Component:
    return rx.table.row(rx.foreach(row, lambda cell: rx.table.cell(rx.text(cell, size="1", class_name="db-cell"))))


def db_page() -> rx.Component:
    table_list = rx.vstack(
        rx.foreach(
            D.tables,
            lambda tb: rx.button(
                rx.text(tb["name"], flex="1", align="left"),
                rx.text(tb["rows"], size="1"),
                rx.text(tb["size"], size="1", color_scheme="gray"),
                variant=rx.cond(D.table == tb["name"], "solid", "ghost"),
                width="100%",
                on_click=D.open_table(tb["name"]),
                class_name="db-table",
                custom_attrs={"data-table": tb["name"]},
            ),
        ),
        spacing="1",
        min_width="16em",
    )
    filters = rx.form(
        rx.hstack(
            rx.foreach(D.filter_columns, lambda c: rx.input(name="f_" + c, placeholder=c, size="1", width="9em")),
            rx.button(t("adm.filter"), type="submit", size="1", id="db-filter"),
            wrap="wrap",
        ),
        on_submit=D.apply_filters,
        reset_on_submit=False,
    )
    rows = rx.cond(
        D.table != "",
        rx.vstack(
            rx.hstack(rx.heading(D.table, size="4"), rx.text(D.total, " ", t("adm.rows"), size="2", id="db-total")),
            filters,
            rx.scroll_area(
                rx.table.root(
                    rx.table.header(rx.table.row(rx.foreach(D.columns, rx.table.column_header_cell))),
                    rx.table.body(rx.foreach(D.rows, _cells)),
                    size="1",
                    id="db-rows",
                ),
                type="auto",
                scrollbars="both",
                max_height="60vh",
            ),
            rx.hstack(
                rx.button("←", on_click=D.previous_page, size="1", disabled=D.page <= 1),
                rx.text(t("adm.page"), " ", D.page, size="2"),
                rx.button("→", on_click=D.next_page, size="1", disabled=D.page * D.page_size >= D.total),
            ),
            rx.text(t("adm.read_only"), size="1", color_scheme="gray"),
            width="100%",
            min_width="0",
        ),
        empty_state("database", t("adm.pick_table")),
    )
    return admin_shell(
        "adm.database", rx.hstack(table_list, rows, align="start", width="100%", spacing="4"), denied=D.denied
    )


def _log_row(record: rx.Var) -> rx.Component:
    colour = rx.match(record["level"], ("ERROR", "red"), ("CRITICAL", "red"), ("WARNING", "amber"), "gray")
    return rx.table.row(
        rx.table.cell(record["at"], size="1"),
        rx.table.cell(rx.badge(record["level"], color_scheme=colour)),
        rx.table.cell(rx.text(record["logger"], size="1"), rx.text(record["process"], size="1", color_scheme="gray")),
        rx.table.cell(rx.text(record["message"], size="1", white_space="pre-wrap", class_name="log-message")),
        rx.table.cell(
            rx.text(record["tenant"], size="1"),
            rx.cond(record["request"] != "", rx.text("req ", record["request"], size="1", color_scheme="gray")),
            rx.cond(
                record["dialog"] != "",
                rx.link(t("trace.open"), href="/admin/trace?dialog=" + record["dialog"], class_name="log-trace"),
            ),
        ),
        class_name="log-row",
    )


def logs_page() -> rx.Component:
    form = rx.form(
        rx.hstack(
            rx.select(["DEBUG", "INFO", "WARNING", "ERROR"], value=L.level, on_change=L.set_level, id="log-level"),
            rx.input(name="text", placeholder=t("adm.text"), id="log-text", width="16em"),
            rx.input(name="tenant", placeholder=t("adm.tenant_id"), id="log-tenant", width="20em"),
            rx.button(t("adm.filter"), type="submit", id="log-filter"),
            wrap="wrap",
        ),
        on_submit=L.filter,
        reset_on_submit=False,
    )
    return admin_shell(
        "adm.logs",
        form,
        rx.cond(
            L.records.length() > 0,  # type: ignore[attr-defined]
            data_table(
                ["adm.time", "adm.level", "adm.source", "adm.message", "workspace"],
                rx.foreach(L.records, _log_row),
                id="logs",
            ),
            empty_state("scroll-text", t("adm.no_logs")),
        ),
        denied=L.denied,
    )


def _mail_row(message: rx.Var) -> rx.Component:
    return rx.table.row(
        rx.table.cell(message["at"], size="1"),
        rx.table.cell(message["to"]),
        rx.table.cell(
            rx.text(message["subject"], weight="medium"),
            rx.text(message["body"], size="1", white_space="pre-wrap", class_name="mail-body"),
        ),
        rx.table.cell(rx.badge(message["status"]), rx.text(message["error"], size="1", color_scheme="red")),
        class_name="mail-row",
        custom_attrs={"data-to": message["to"]},
    )


def outbox_page() -> rx.Component:
    return admin_shell(
        "adm.outbox",
        rx.text(t("adm.outbox_hint"), size="2", color_scheme="gray"),
        rx.form(
            rx.hstack(
                rx.input(name="query", placeholder=t("adm.search_mail"), id="outbox-search"),
                rx.button(t("search"), type="submit"),
            ),
            on_submit=O.search,
        ),
        data_table(["adm.time", "adm.to", "adm.message", "status"], rx.foreach(O.messages, _mail_row), id="outbox"),
        denied=O.denied,
    )


def register(app: rx.App) -> None:
    for page, route, title, state in (
        (console_page, "/admin", "Admin", C),
        (db_page, "/admin/db", "Database", D),
        (logs_page, "/admin/logs", "Logs", L),
        (outbox_page, "/admin/outbox", "Outbox", O),
    ):
        app.add_page(page, route=route, title=f"{title} · ChatAI", on_load=[SessionState.guard, state.load])
