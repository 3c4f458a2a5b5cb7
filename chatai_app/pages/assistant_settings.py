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
        rx.cond(
            S.errors.contains(field),
            rx.text(S.errors.get(field, ""), size="1", color_scheme="red", class_name="field-error"),
        ),
        spacing="1",
        width="100%",
    )


def _text(field: str, **props: object) -> rx.Component:
    return _labelled(
        field,
        rx.input(name=field, id=field, default_value=S.values.get(field, ""), key=S.values.get(field, ""), **props),
        field,
    )


def _choice(field: str, options: list[str], group: str, label_key: str | None = None) -> rx.Component:
    """A dropdown whose options are shown through the catalogue (`<group>.<option>`)."""
    return _labelled(
        label_key or field,
        rx.select.root(
            rx.select.trigger(id=field, width="100%"),
            rx.select.content(*[rx.select.item(t(f"{group}.{o}"), value=o) for o in options]),
            value=S.values.get(field, ""),
            on_change=lambda v: S.set_choice(field, v),
        ),
        field,
    )


def _switch(label_key: str, value: rx.Var, on_change: rx.EventHandler) -> rx.Component:
    return rx.hstack(rx.switch(checked=value, on_change=on_change, name=label_key, id=label_key), rx.text(t(label_key)))


def _widget_section() -> rx.Component:
    return rx.vstack(
        rx.heading(t("widget"), size="4"),
        rx.text(t("embed_code"), size="2"),
        rx.hstack(
            rx.box(S.embed_code, id="embed-code", class_name="embed-code"),
            rx.button(
                rx.icon("copy", size=14),
                t("copy"),
                variant="soft",
                type="button",
                id="copy-embed",
                on_click=[rx.set_clipboard(S.embed_code), S.copied],
            ),
            width="100%",
            align="start",
            wrap="wrap",
        ),
        rx.link(t("open_chat_page"), href=S.chat_page_url, is_external=True, size="2"),
        rx.box(
            _text("widget_title"),
            _text("widget_colour"),
            _choice("widget_position", ["right", "left"], "position"),
            _choice("widget_language", ["auto", "en", "ru"], "lang"),
            class_name="grid-4",
        ),
        _switch("handoff_button", S.handoff_button, S.set_handoff_button),
        _labelled(
            "allowed_origins",
            rx.text_area(
                name="allowed_origins",
                default_value=S.values.get("allowed_origins", ""),
                key=S.values.get("allowed_origins", ""),
                rows="3",
                width="100%",
                id="allowed_origins",
            ),
            "widget_settings",
        ),
        spacing="3",
        width="100%",
    )


def settings_page() -> rx.Component:
    return app_shell(
        rx.link(rx.hstack(rx.icon("arrow-left", size=16), t("back")), href="/assistants/" + S.values.get("id", "")),
        rx.heading(S.assistant_name, " · ", t("settings"), size="6", id="settings-heading", class_name="page-title"),
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
                rx.box(
                    _choice("tone", ["friendly", "formal", "concise", "playful", "neutral"], "tone"),
                    _choice("language", ["auto", "en", "ru"], "lang"),
                    _choice("provider", ["offline", "openai"], "provider"),
                    _text("model"),
                    _text("temperature"),
                    _text("max_tokens"),
                    class_name="grid-3",
                ),
                _switch("knowledge_enabled", S.knowledge_enabled, S.set_knowledge_enabled),
                _switch("citations_enabled", S.citations_enabled, S.set_citations_enabled),
                _choice("strictness", ["strict", "balanced", "lenient"], "strictness"),
                rx.text(t("strictness_hint"), size="1", color_scheme="gray"),
                _text("greeting"),
                _text("handoff_keywords"),
                rx.heading(t("handoff_rules"), size="4"),
                rx.box(
                    _choice("on_llm_failure", ["apology", "handoff"], "failure"),
                    _text("fallback_after", type="number"),
                    _text("wait_timeout_s", type="number"),
                    _choice("on_timeout", ["ai", "offline_form"], "timeout"),
                    _text("priority", type="number"),
                    class_name="grid-3",
                ),
                _switch("repeat_detection", S.repeat_detection, S.set_repeat_detection),
                _widget_section(),
                rx.button(t("save"), type="submit", id="settings-save"),
                spacing="4",
                width="100%",
            ),
            on_submit=S.save,
            reset_on_submit=False,
            width="100%",
        ),
        active="assistants",
    )


def register(app: rx.App) -> None:
    app.add_page(
        settings_page,
        route="/assistants/[assistant_id]/settings",
        title="Assistant settings · ChatAI",
        on_load=[SessionState.guard, S.load],
    )
