"""/profile"""

from __future__ import annotations

import reflex as rx

from chatai_app.components.i18n import t
from chatai_app.components.layout import app_shell, field, page_header
from chatai_app.state.profile import ProfileState
from chatai_app.state.session import SessionState


def _error(name: str) -> rx.Var:
    return ProfileState.field_errors.get(name, "")


def _profile_form() -> rx.Component:
    return rx.form(
        rx.vstack(
            rx.text(t("email"), ": ", SessionState.user_email, size="2"),
            field(
                t("full_name"),
                "full_name",
                error=_error("full_name"),
                default_value=ProfileState.full_name,
                key=ProfileState.full_name,
            ),
            rx.text(t("language"), size="2", weight="medium"),
            rx.select.root(
                rx.select.trigger(),
                rx.select.content(rx.select.item("English", value="en"), rx.select.item("Русский", value="ru")),
                name="locale",
                value=ProfileState.locale,
                on_change=ProfileState.set_locale,
            ),
            rx.button(t("save"), type="submit", id="profile-save"),
            spacing="3",
            width="100%",
        ),
        on_submit=ProfileState.save_profile,
        reset_on_submit=False,
    )


def _password_form() -> rx.Component:
    return rx.form(
        rx.vstack(
            rx.heading(t("change_password"), size="4"),
            field(t("current_password"), "current_password", error=_error("current_password"), type_="password"),
            field(t("new_password"), "new_password", error=_error("new_password"), type_="password"),
            rx.button(t("change_password"), type="submit", variant="soft"),
            spacing="3",
            width="100%",
        ),
        on_submit=ProfileState.change_password,
        reset_on_submit=True,
    )


def profile_page() -> rx.Component:
    return app_shell(
        page_header(t("profile")),
        rx.box(rx.card(_profile_form()), rx.card(_password_form()), class_name="grid-2"),
        active="profile",
    )


def register(app: rx.App) -> None:
    app.add_page(
        profile_page, route="/profile", title="Profile · ChatAI", on_load=[SessionState.guard, ProfileState.load]
    )
