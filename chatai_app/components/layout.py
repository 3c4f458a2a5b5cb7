"""Page shells: the signed-in app frame and the centred auth card."""

from __future__ import annotations

import reflex as rx

from chatai_app.components.i18n import t
from chatai_app.state.session import SessionState


def language_switch() -> rx.Component:
    return rx.segmented_control.root(
        rx.segmented_control.item("EN", value="en"),
        rx.segmented_control.item("RU", value="ru"),
        value=SessionState.lang,
        on_change=SessionState.set_lang,
        size="1",
        id="language-switch",
    )


def _nav_link(label_key: str, href: str) -> rx.Component:
    return rx.link(t(label_key), href=href, weight="medium", underline="none")


def navbar() -> rx.Component:
    return rx.hstack(
        rx.hstack(
            rx.icon("bot-message-square", size=24),
            rx.heading("ChatAI", size="5"),
            _nav_link("dashboard", "/"),
            _nav_link("assistants", "/assistants"),
            _nav_link("inbox", "/inbox"),
            _nav_link("dialogs", "/dialogs"),
            _nav_link("billing", "/billing"),
            rx.cond(SessionState.is_admin, _nav_link("admin_billing", "/admin/billing")),
            _nav_link("profile", "/profile"),
            spacing="5",
            align="center",
        ),
        rx.spacer(),
        rx.hstack(
            language_switch(),
            rx.text(SessionState.user_email, size="2", color_scheme="gray", id="nav-user-email"),
            rx.button(t("sign_out"), on_click=SessionState.sign_out, variant="soft", size="2", id="sign-out"),
            spacing="4",
            align="center",
        ),
        padding_x="1.5em",
        padding_y="0.8em",
        border_bottom="1px solid var(--gray-a5)",
        width="100%",
    )


def app_shell(*children: rx.Component) -> rx.Component:
    return rx.box(
        navbar(),
        rx.container(rx.vstack(*children, spacing="5", width="100%"), size="3", padding_top="2em"),
        width="100%",
    )


def auth_card(title: rx.Var, *children: rx.Component) -> rx.Component:
    return rx.center(
        rx.card(
            rx.vstack(
                rx.hstack(rx.icon("bot-message-square", size=28), rx.heading("ChatAI", size="6"), align="center"),
                rx.text(t("tagline"), size="2", color_scheme="gray"),
                rx.heading(title, size="5", margin_top="0.5em"),
                *children,
                spacing="3",
                width="100%",
            ),
            size="4",
            width="100%",
            max_width="26em",
        ),
        rx.box(language_switch(), position="absolute", top="1em", right="1em"),
        min_height="100vh",
        padding="1em",
    )


def field(label: rx.Var, name: str, *, error: rx.Var, type_: str = "text", **props) -> rx.Component:
    return rx.vstack(
        rx.text(label, as_="label", size="2", weight="medium", html_for=name),
        rx.input(name=name, id=name, type=type_, width="100%", size="3", **props),
        rx.cond(error != "", rx.text(error, size="1", color_scheme="red", id=f"{name}-error")),
        spacing="1",
        width="100%",
    )
