"""/ — the signed-in dashboard."""

from __future__ import annotations

import reflex as rx

from chatai_app.components.i18n import enum_label, t
from chatai_app.components.layout import app_shell
from chatai_app.state.session import SessionState


def _step(icon: str, key: str, href: str) -> rx.Component:
    return rx.link(
        rx.card(rx.hstack(rx.icon(icon), rx.text(t(key), weight="medium"), align="center"), width="100%"),
        href=href,
        underline="none",
    )


def dashboard_page() -> rx.Component:
    return app_shell(
        rx.heading(
            t("welcome"),
            rx.cond(SessionState.user_name != "", ", " + SessionState.user_name, ""),
            size="6",
            id="dashboard-heading",
        ),
        rx.hstack(
            rx.badge(t("workspace"), ": ", SessionState.tenant_name, size="2", id="tenant-name"),
            rx.badge(
                t("role"), ": ", enum_label(SessionState.role, "role"), size="2", color_scheme="gray", id="role-badge"
            ),
            rx.cond(SessionState.is_admin, rx.badge(t("admin_badge"), color_scheme="orange", size="2")),
            spacing="3",
            wrap="wrap",
        ),
        rx.heading(t("next_steps"), size="4"),
        rx.box(
            _step("bot", "step_assistant", "/assistants"),
            _step("book-open", "step_knowledge", "/assistants"),
            _step("send", "step_channels", "/assistants"),
            class_name="grid-3",
        ),
        rx.link(t("api_docs"), href="/docs", is_external=True),
        active="dashboard",
    )


def register(app: rx.App) -> None:
    app.add_page(dashboard_page, route="/", title="Dashboard · ChatAI", on_load=SessionState.home)
