"""/assistants/[assistant_id]/settings"""

from __future__ import annotations

import reflex as rx

from chatai_app.components.i18n import t
from chatai_app.components.layout import app_shell
from chatai_app.state.assistant_settings import AssistantSettingsState as S
from chatai_app.state.session import SessionState


def _labelled(label_key: str, control: rx.Component, field: str) -> rx.Component:
    return rx.vstack(
        rx.text(t(label_key), size="2", weight="medium"),
        control,
        rx.cond(S.errors.contains(field), rx.text(S.errors.get(field, ""), size="1", color_scheme="red")),
        spacing="1",
        width="100%",
    )


def _text(field: str, **props: object) -> rx.Component:
    return _labelled(
        field,
        rx.input(name=field, id=field, default_value=S.values.get(field, ""), key=S.values.get(field, ""), **props),
        field,
    )


def _choice(field: str, options: list[str], label_key: str | None = None) -> rx.Component:
    return _labelled(
        label_key or field,
        rx.select(options, value=S.values.get(field, ""), on_change=lambda v: S.set_choice(field, v), id=field),
        field,
    )


def settings_page() -> rx.Component:
    return app_shell(
        rx.link(rx.hstack(rx.icon("arrow-left", size=16), t("back")), href="/assistants/" + S.values.get("id", "")),
        rx.heading(t("settings"), size="7"),
        rx.form(
            rx.vstack(
                _text("name"),
                _labelled(
                    "system_prompt",
                    rx.text_area(
                        name="system_prompt",
                        default_value=S.values.get("system_prompt", ""),
                        key=S.values.get("id", ""),
                        rows="5",
                        width="100%",
                    ),
                    "system_prompt",
                ),
                rx.grid(
                    _choice("tone", ["friendly", "formal", "concise", "playful", "neutral"]),
                    _choice("language", ["auto", "en", "ru"]),
                    _choice("provider", ["offline", "openai"]),
                    _text("model"),
                    _text("temperature"),
                    _text("max_tokens"),
                    columns="3",
                    spacing="3",
                    width="100%",
                ),
                rx.hstack(
                    rx.switch(checked=S.knowledge_enabled, on_change=S.set_knowledge_enabled),
                    rx.text(t("knowledge_enabled")),
                ),
                rx.hstack(
                    rx.switch(checked=S.citations_enabled, on_change=S.set_citations_enabled),
                    rx.text(t("citations_enabled")),
                ),
                _text("greeting"),
                _text("handoff_keywords"),
                _choice("on_llm_failure", ["apology", "handoff"]),
                rx.button(t("save"), type="submit", id="settings-save"),
                spacing="4",
                width="100%",
            ),
            on_submit=S.save,
            reset_on_submit=False,
            width="100%",
        ),
    )


def register(app: rx.App) -> None:
    app.add_page(
        settings_page,
        route="/assistants/[assistant_id]/settings",
        title="Assistant settings · ChatAI",
        on_load=[SessionState.guard, S.load],
    )
