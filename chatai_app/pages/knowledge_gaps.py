"""/knowledge-gaps — what the assistants could not answer, grouped, with a one-click Q&A pair (issue 14)."""

from __future__ import annotations

import reflex as rx

from chatai_app.components.i18n import t
from chatai_app.components.layout import app_shell, empty_state, page_header
from chatai_app.state.knowledge_gaps import GapsState as G
from chatai_app.state.session import SessionState


def _gap(gap: rx.Var) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.badge("×", gap["count"], color_scheme="orange", size="2", class_name="gap-count"),
                rx.text(gap["question"], weight="bold", class_name="gap-question"),
                rx.spacer(),
                rx.text(gap["assistant"], " · ", gap["last_seen"], size="1", color_scheme="gray"),
                width="100%",
                align="center",
            ),
            rx.text(gap["reasons"], size="1", color_scheme="gray"),
            rx.cond(gap["examples"] != "", rx.text(t("gaps.also"), ": ", gap["examples"], size="1")),
            rx.form(
                rx.vstack(
                    rx.el.input(type="hidden", name="assistant_id", value=gap["assistant_id"]),
                    rx.input(name="question", default_value=gap["question"], width="100%", size="1"),
                    rx.text_area(
                        name="answer",
                        placeholder=t("gaps.answer_hint"),
                        width="100%",
                        rows="2",
                        required=True,
                        class_name="gap-answer",
                    ),
                    rx.button(
                        rx.icon("plus", size=14), t("gaps.add_qa"), type="submit", size="1", class_name="gap-add"
                    ),
                    spacing="2",
                    width="100%",
                ),
                on_submit=G.answer,
                reset_on_submit=True,
            ),
            spacing="2",
            width="100%",
        ),
        width="100%",
        class_name="gap-card",
        key=gap["key"],
    )


def gaps_page() -> rx.Component:
    return app_shell(
        page_header(t("gaps.title"), heading_id="gaps-heading"),
        rx.text(t("gaps.hint"), size="2", color_scheme="gray"),
        rx.cond(
            G.denied != "",
            rx.callout(G.denied, icon="lock", color_scheme="red", id="no-access"),
            rx.cond(
                G.gaps.length() > 0,
                rx.vstack(rx.foreach(G.gaps, _gap), spacing="3", width="100%"),  # type: ignore[attr-defined]
                empty_state("circle-check", t("gaps.none")),
            ),
        ),
        active="knowledge_gaps",
    )


def register(app: rx.App) -> None:
    app.add_page(
        gaps_page, route="/knowledge-gaps", title="Knowledge gaps · ChatAI", on_load=[SessionState.guard, G.load]
    )
