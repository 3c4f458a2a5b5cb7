"""/signup"""

from __future__ import annotations

import reflex as rx

from chatai_app.components.i18n import t
from chatai_app.components.layout import auth_card, field
from chatai_app.pages.landing import beacon
from chatai_app.state.auth_forms import SignUpState
from chatai_app.state.session import SessionState


def _error(name: str) -> rx.Var:
    return SignUpState.field_errors.get(name, "")


def signup_page() -> rx.Component:
    return auth_card(
        t("sign_up"),
        rx.form(
            rx.vstack(
                rx.el.input(type="hidden", name="visitor_id", id="funnel-visitor-id"),  # issue 14: filled by `beacon`
                field(t("full_name"), "full_name", error=_error("full_name"), auto_complete="name"),
                field(t("workspace_name"), "workspace_name", error=_error("workspace_name")),
                field(t("email"), "email", error=_error("email"), type_="email", auto_complete="username"),
                field(
                    t("password"), "password", error=_error("password"), type_="password", auto_complete="new-password"
                ),
                rx.cond(
                    SignUpState.error != "",
                    rx.callout(
                        SignUpState.error, icon="triangle-alert", color_scheme="red", id="signup-error", width="100%"
                    ),
                ),
                rx.button(
                    t("sign_up"),
                    type="submit",
                    loading=SignUpState.submitting,
                    size="3",
                    width="100%",
                    id="signup-submit",
                ),
                spacing="3",
                width="100%",
            ),
            on_submit=SignUpState.submit,
            reset_on_submit=False,
            width="100%",
        ),
        rx.hstack(rx.text(t("have_account"), size="2"), rx.link(t("sign_in"), href="/login", size="2", id="to-login")),
        beacon("signup_view"),  # issue 14: the sign-up funnel
    )


def register(app: rx.App) -> None:
    app.add_page(
        signup_page, route="/signup", title="Create account · ChatAI", on_load=SessionState.redirect_if_signed_in
    )
