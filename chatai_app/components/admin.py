"""The platform admins' console frame shared by the /admin/* pages: the section tabs, the page shell with the
access-denied callout, and the compact data table (issue 14)."""

from __future__ import annotations

import reflex as rx

from chatai_app.components.i18n import t
from chatai_app.components.layout import app_shell, page_header

ADMIN_SECTIONS: list[tuple[str, str]] = [
    ("adm.users_workspaces", "/admin"),
    ("adm.database", "/admin/db"),
    ("adm.logs", "/admin/logs"),
    ("adm.outbox", "/admin/outbox"),
    ("adm.keys", "/admin/keys"),
    ("adm.monitoring", "/admin/monitoring"),
    ("adm.settings", "/admin/settings"),
    ("adm.funnel", "/admin/funnel"),
    ("admin_billing", "/admin/billing"),
]


def admin_tabs(active: str) -> rx.Component:
    """The console's section links; `active` is the catalogue key of the current section."""
    return rx.hstack(
        *[
            rx.link(rx.button(t(key), variant="solid" if key == active else "soft", size="1"), href=href)
            for key, href in ADMIN_SECTIONS
        ],
        spacing="2",
        wrap="wrap",
    )


def admin_shell(active: str, *children: rx.Component, denied: rx.Var) -> rx.Component:
    """An admin console page: header, section tabs, then the children or the reason access is denied."""
    return app_shell(
        page_header(t("adm.title"), heading_id="admin-heading"),
        admin_tabs(active),
        rx.cond(
            denied != "",
            rx.callout(denied, icon="lock", color_scheme="red", id="no-access"),
            rx.vstack(*children, spacing="4", width="100%"),
        ),
        active="admin_console",
    )


def data_table(headers: list[str], body: rx.Component, **props) -> rx.Component:
    """A compact full-width table; `headers` are catalogue keys."""
    return rx.table.root(
        rx.table.header(rx.table.row(*[rx.table.column_header_cell(t(h)) for h in headers])),
        rx.table.body(body),
        width="100%",
        size="1",
        **props,
    )
