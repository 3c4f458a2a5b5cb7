"""/login"""

from __future__ import annotations

import reflex as rx

from chatai_app.components.i18n import t
from chatai_app.components.layout import auth_card, field
from chatai_app.state.auth_forms import LoginState
from chatai_app.state.session import SessionState


def _code_form() -> rx.Component:
    """The second step (issue 14): the account has two-factor on."""
    return rx.form(
        rx.vstack(
            rx.text(t("sec.enter_code_hint"), size="2"),
            field(
                t("sec.code"),
                "code",
                error=LoginState.field_errors.get("code", ""),
                auto_complete="one-time-code",
                input_mode="numeric",
                auto_focus=True,
            ),
            rx.cond(
                LoginState.error != "",
                rx.callout(LoginState.error, icon="triangle-alert", color_scheme="red", id="login-error", width="100%"),
            ),
            rx.button(
                t("sec.verify"), type="submit", loading=LoginState.submitting, size="3", width="100%", id="code-submit"
            ),
            rx.link(t("back"), on_click=LoginState.restart, size="2", id="code-back"),
            spacing="3",
            width="100%",
        ),
        on_submit=LoginState.submit_code,
        reset_on_submit=True,
        width="100%",
    )


def login_page() -> rx.Component:
    return auth_card(
        t("sign_in"),
        rx.cond(LoginState.challenge != "", _code_form(), _password_form()),
        rx.hstack(rx.text(t("no_account"), size="2"), rx.link(t("sign_up"), href="/signup", size="2", id="to-signup")),
        rx.link(t("sec.forgot_password"), href="/forgot-password", size="2", id="to-forgot-password"),
    )


def _password_form() -> rx.Component:
    return rx.form(
        rx.vstack(
            field(t("email"), "email", error="", type_="email", auto_complete="username", required=True),
            field(t("password"), "password", error="", type_="password", auto_complete="current-password"),
            rx.cond(
                LoginState.error != "",
                rx.callout(LoginState.error, icon="triangle-alert", color_scheme="red", id="login-error", width="100%"),
            ),
            rx.button(
                t("sign_in"),
                type="submit",
                loading=LoginState.submitting,
                size="3",
                width="100%",
                id="login-submit",
            ),
            spacing="3",
            width="100%",
        ),
        on_submit=LoginState.submit,
        reset_on_submit=False,
        width="100%",
    )


def register(app: rx.App) -> None:
    app.add_page(login_page, route="/login", title="Sign in · ChatAI", on_load=SessionState.redirect_if_signed_in)
