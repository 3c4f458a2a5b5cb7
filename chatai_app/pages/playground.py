"""/assistants/[assistant_id]/playground — chat with the assistant, watch the answer stream."""

from __future__ import annotations

import reflex as rx

from chatai_app.components.i18n import t
from chatai_app.components.layout import app_shell, field_error
from chatai_app.state.playground import PlaygroundState
from chatai_app.state.session import SessionState


def _bubble(message: rx.Var, index: rx.Var) -> rx.Component:
    is_user = message["role"] == "user"
    return rx.box(
        rx.text(message["content"], white_space="pre-wrap", class_name="message-text"),
        rx.cond(
            PlaygroundState.sources[index].length() > 0,
            rx.hstack(
                rx.text(t("sources"), ":", size="1", weight="medium"),
                rx.foreach(
                    PlaygroundState.sources[index],
                    lambda link: rx.link(link["label"], href=link["href"], size="1", class_name="source-link"),
                ),
                wrap="wrap",
                class_name="message-sources",
            ),
        ),
        rx.cond(
            message["meta"] != "", rx.text(message["meta"], size="1", color_scheme="gray", class_name="message-meta")
        ),
        align_self=rx.cond(is_user, "flex-end", "flex-start"),
        background=rx.cond(is_user, "var(--accent-3)", "var(--gray-3)"),
        padding="0.7em 1em",
        border_radius="12px",
        max_width="80%",
        class_name=rx.cond(is_user, "message user-message", "message assistant-message"),
    )


def playground_page() -> rx.Component:
    return app_shell(
        rx.hstack(
            rx.link(rx.hstack(rx.icon("arrow-left", size=16), t("back")), href="/assistants"),
            rx.spacer(),
            rx.button(t("new_chat"), variant="soft", on_click=PlaygroundState.new_conversation),
            width="100%",
        ),
        rx.heading(
            PlaygroundState.assistant_name,
            " · ",
            t("playground"),
            size="6",
            id="playground-heading",
            class_name="page-title",
        ),
        rx.text(PlaygroundState.provider, size="2", color_scheme="gray"),
        rx.card(
            rx.vstack(
                rx.foreach(PlaygroundState.messages, _bubble),
                rx.cond(
                    PlaygroundState.streaming,
                    rx.box(
                        rx.text(PlaygroundState.streaming_text, white_space="pre-wrap"),
                        rx.spinner(size="1"),
                        background="var(--gray-3)",
                        padding="0.7em 1em",
                        border_radius="12px",
                        max_width="80%",
                        id="streaming-answer",
                    ),
                ),
                rx.cond(
                    (PlaygroundState.messages.length() == 0) & ~PlaygroundState.streaming,
                    rx.text(t("playground_empty"), size="2", color_scheme="gray"),
                ),
                spacing="3",
                width="100%",
                min_height="20em",
            ),
            width="100%",
        ),
        rx.form(
            rx.hstack(
                rx.input(
                    name="message",
                    id="message",
                    placeholder=t("message_placeholder"),
                    width="100%",
                    size="3",
                    font_size="16px",
                ),
                rx.button(t("send"), type="submit", size="3", loading=PlaygroundState.streaming, id="send"),
                width="100%",
            ),
            field_error(PlaygroundState.input_error, id="message-error"),
            on_submit=PlaygroundState.send,
            reset_on_submit=False,
            width="100%",
        ),
        active="assistants",
    )


def register(app: rx.App) -> None:
    app.add_page(
        playground_page,
        route="/assistants/[assistant_id]/playground",
        title="Playground · ChatAI",
        on_load=[SessionState.guard, PlaygroundState.load],
    )
