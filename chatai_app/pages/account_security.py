"""/security (two-factor, recovery codes, sessions, e-mail verification), /forgot-password, /reset-password and
/verify-email — issue 14."""

from __future__ import annotations

import reflex as rx

from chatai_app.components.i18n import t
from chatai_app.components.layout import app_shell, auth_card, confirm, field, field_error, page_header
from chatai_app.state.account_security import ForgotPasswordState as F
from chatai_app.state.account_security import ResetPasswordState as R
from chatai_app.state.account_security import SecurityState as S
from chatai_app.state.account_security import VerifyEmailState as V
from chatai_app.state.session import SessionState


def _code_input(name: str = "code", input_id: str = "totp-code") -> rx.Component:
    return rx.box(
        rx.input(
            name=name,
            id=input_id,
            placeholder="123 456",
            auto_complete="one-time-code",
            input_mode="numeric",
            size="2",
            width="10em",
        ),
        field_error(S.field_errors.get(name, ""), id=f"{input_id}-error"),
    )


def _recovery_codes() -> rx.Component:
    return rx.cond(
        S.recovery_codes.length() > 0,  # type: ignore[attr-defined]
        rx.callout(
            rx.vstack(
                rx.text(t("sec.codes_once"), weight="bold"),
                rx.grid(
                    rx.foreach(S.recovery_codes, lambda c: rx.code(c, class_name="recovery-code")),
                    columns="2",
                    spacing="2",
                ),
                spacing="2",
            ),
            icon="key-round",
            color_scheme="amber",
            id="recovery-codes",
        ),
    )


def _setup() -> rx.Component:
    return rx.cond(
        S.setup_secret != "",
        rx.vstack(
            rx.text(t("sec.scan"), size="2"),
            rx.image(src=S.setup_qr, alt="QR", width="200px", height="200px", id="totp-qr"),
            rx.text(t("sec.or_type"), " ", rx.code(S.setup_secret, id="totp-secret"), size="2"),
            rx.form(
                rx.hstack(_code_input(), rx.button(t("sec.turn_on"), type="submit", id="totp-confirm"), align="start"),
                on_submit=S.confirm_setup,
                reset_on_submit=True,
            ),
            spacing="3",
        ),
        rx.button(rx.icon("smartphone", size=14), t("sec.set_up"), on_click=S.start_setup, id="totp-start"),
    )


def _two_factor_card() -> rx.Component:
    disable = rx.form(
        rx.vstack(
            rx.text(t("sec.turn_off_hint"), size="2", color_scheme="gray"),
            rx.hstack(
                rx.box(
                    rx.input(name="password", type="password", placeholder=t("password"), size="2"),
                    field_error(S.field_errors.get("password", "")),
                ),
                _code_input("code", "totp-disable-code"),
                rx.button(t("sec.turn_off"), type="submit", color_scheme="red", variant="soft", id="totp-disable"),
                align="start",
                wrap="wrap",
            ),
        ),
        on_submit=S.disable,
        reset_on_submit=True,
    )
    new_codes = rx.form(
        rx.hstack(
            _code_input("code", "totp-codes-code"),
            rx.button(t("sec.new_codes"), type="submit", variant="soft", id="totp-new-codes"),
            align="start",
        ),
        on_submit=S.new_codes,
        reset_on_submit=True,
    )
    return rx.card(
        rx.vstack(
            rx.heading(t("sec.two_factor"), size="4"),
            rx.text(t("sec.two_factor_hint"), size="2", color_scheme="gray"),
            rx.cond(S.required & ~S.enabled, rx.callout(t("sec.required"), icon="shield-alert", color_scheme="red")),
            _recovery_codes(),
            rx.cond(
                S.enabled,
                rx.vstack(
                    rx.badge(t("sec.is_on"), color_scheme="green", id="totp-status"),
                    rx.text(t("sec.codes_left"), ": ", S.codes_left, size="2"),
                    new_codes,
                    rx.cond(~S.required, disable),
                    spacing="3",
                ),
                _setup(),
            ),
            spacing="3",
        ),
        width="100%",
    )


def _session_row(row: rx.Var) -> rx.Component:
    return rx.table.row(
        rx.table.cell(
            row["browser"], rx.cond(row["current"] == "yes", rx.badge(t("sec.this_one"), margin_left="0.5em"))
        ),
        rx.table.cell(row["ip"]),
        rx.table.cell(row["kind"]),
        rx.table.cell(row["started"]),
        rx.table.cell(
            rx.cond(
                row["current"] != "yes",
                rx.button(t("sec.end"), size="1", variant="soft", on_click=S.end_session(row["id"])),
            )
        ),
        class_name="session-row",
    )


def _sessions_card() -> rx.Component:
    everywhere = confirm(
        rx.button(
            rx.icon("log-out", size=14),
            t("sec.sign_out_elsewhere"),
            color_scheme="red",
            variant="soft",
            id="sign-out-elsewhere",
        ),
        t("sec.sign_out_elsewhere"),
        rx.text(t("sec.sign_out_elsewhere_body")),
        t("sec.sign_out_elsewhere"),
        S.sign_out_elsewhere,
        confirm_id="sign-out-elsewhere-confirm",
    )
    return rx.card(
        rx.vstack(
            rx.hstack(rx.heading(t("sec.sessions"), size="4"), rx.spacer(), everywhere, width="100%"),
            rx.table.root(
                rx.table.header(
                    rx.table.row(
                        *[
                            rx.table.column_header_cell(t(k))
                            for k in ("sec.device", "sec.ip", "sec.kind", "sec.started", "actions")
                        ]
                    )
                ),
                rx.table.body(rx.foreach(S.sessions, _session_row)),
                width="100%",
            ),
            spacing="3",
        ),
        width="100%",
    )


def security_page() -> rx.Component:
    return app_shell(
        page_header(t("sec.title"), heading_id="security-heading"),
        rx.cond(
            ~S.email_verified,
            rx.callout(
                rx.hstack(
                    rx.text(t("sec.unverified")),
                    rx.button(t("sec.resend"), size="1", on_click=S.resend_verification, id="resend-verification"),
                    align="center",
                ),
                icon="mail-warning",
                color_scheme="amber",
                id="unverified-banner",
            ),
        ),
        rx.vstack(_two_factor_card(), _sessions_card(), spacing="4", width="100%"),
        active="security",
    )


def forgot_page() -> rx.Component:
    return auth_card(
        t("sec.forgot_title"),
        rx.cond(
            F.sent,
            rx.callout(t("sec.reset_sent"), icon="mail-check", color_scheme="green", id="reset-sent"),
            rx.form(
                rx.vstack(
                    field(t("email"), "email", error="", type_="email", auto_complete="username", required=True),
                    rx.cond(F.error != "", rx.callout(F.error, icon="triangle-alert", color_scheme="red")),
                    rx.button(t("sec.send_link"), type="submit", size="3", width="100%", id="forgot-submit"),
                    spacing="3",
                    width="100%",
                ),
                on_submit=F.submit,
                width="100%",
            ),
        ),
        rx.link(t("sign_in"), href="/login", size="2"),
    )


def reset_page() -> rx.Component:
    return auth_card(
        t("sec.reset_title"),
        rx.cond(
            R.done,
            rx.vstack(
                rx.callout(t("sec.reset_done"), icon="check", color_scheme="green", id="reset-done"),
                rx.link(t("sign_in"), href="/login"),
            ),
            rx.cond(
                R.invalid != "",
                rx.vstack(
                    rx.callout(R.invalid, icon="link-2-off", color_scheme="red", id="reset-invalid"),
                    rx.link(t("sec.forgot_password"), href="/forgot-password"),
                ),
                rx.form(
                    rx.vstack(
                        rx.text(t("email"), ": ", rx.text.span(R.email, weight="bold"), size="2"),
                        field(
                            t("new_password"),
                            "password",
                            error=R.field_errors.get("password", ""),
                            type_="password",
                            auto_complete="new-password",
                        ),
                        rx.text(t("sec.reset_ends_sessions"), size="1", color_scheme="gray"),
                        rx.button(t("sec.set_password"), type="submit", size="3", width="100%", id="reset-submit"),
                        spacing="3",
                        width="100%",
                    ),
                    on_submit=R.submit,
                    width="100%",
                ),
            ),
        ),
    )


def verify_page() -> rx.Component:
    return auth_card(
        t("sec.verify_title"),
        rx.cond(
            V.verified,
            rx.callout(t("sec.verified"), icon="check", color_scheme="green", id="email-verified"),
            rx.cond(
                V.invalid != "",
                rx.callout(V.invalid, icon="link-2-off", color_scheme="red", id="verify-invalid"),
                rx.spinner(),
            ),
        ),
        rx.link(t("sec.continue"), href="/", size="2", id="verify-continue"),
    )


def register(app: rx.App) -> None:
    app.add_page(security_page, route="/security", title="Security · ChatAI", on_load=[SessionState.guard, S.load])
    app.add_page(forgot_page, route="/forgot-password", title="Reset password · ChatAI")
    app.add_page(reset_page, route="/reset-password", title="New password · ChatAI", on_load=R.load)
    app.add_page(verify_page, route="/verify-email", title="Confirm e-mail · ChatAI", on_load=V.load)
