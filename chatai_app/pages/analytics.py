"""/analytics — the workspace's dashboard for owners and admins (issue 14 item 11): dialogs and messages by channel,
how users' messages were answered, operators' first response, busiest hours, spend per assistant, answer feedback."""

from __future__ import annotations

import reflex as rx

from chatai_app.components.admin import data_table
from chatai_app.components.charts import chart_card, period_picker
from chatai_app.components.i18n import both_text, t
from chatai_app.components.layout import app_shell, empty_state, page_header
from chatai_app.state.analytics import CHANNELS, OUTCOMES
from chatai_app.state.analytics import AnalyticsState as A
from chatai_app.state.session import SessionState

CHANNEL_COLOURS = {"telegram": "var(--sky-9)", "widget": "var(--grass-9)", "api": "var(--gray-9)",
                   "playground": "var(--orange-9)"}  # fmt: skip
OUTCOME_COLOURS = {"knowledge": "grass", "other": "blue", "handed_off": "orange", "unanswered": "red"}
WEEKDAYS = ("an.mon", "an.tue", "an.wed", "an.thu", "an.fri", "an.sat", "an.sun")
SHADES = ("var(--gray-3)", "var(--accent-4)", "var(--accent-6)", "var(--accent-8)", "var(--accent-10)")


def _controls() -> rx.Component:
    return period_picker(
        A,
        "analytics",
        rx.select(A.time_zones, value=A.tz, on_change=A.choose_tz, size="2", id="analytics-tz"),
        rx.cond(A.loading, rx.spinner(size="2")),
        below=rx.cond(
            A.error != "", rx.callout(A.error, icon="triangle-alert", color_scheme="red", id="analytics-error")
        ),
    )


def _stat(label: str, value: rx.Var, stat_id: str) -> rx.Component:
    return rx.card(
        rx.text(t(label), size="1", color_scheme="gray"),
        rx.text(value, size="6", weight="bold", id=stat_id),
        width="100%",
        min_width="0",
    )


def _by_channel_chart(kind: str, title: str, chart_id: str) -> rx.Component:
    return chart_card(
        title,
        rx.recharts.bar_chart(
            *[
                rx.recharts.bar(
                    data_key=f"{kind}_{c}",
                    name=t(f"channel.{c}"),
                    stack_id=kind,
                    fill=CHANNEL_COLOURS[c],
                    is_animation_active=False,
                )
                for c in CHANNELS
            ],
            rx.recharts.x_axis(data_key="day"),
            rx.recharts.y_axis(allow_decimals=False, width=32),
            rx.recharts.graphing_tooltip(),
            rx.recharts.legend(),
            data=A.daily,
            height=220,
            width="100%",
        ),
        id=chart_id,
        class_name="analytics-chart",
        width="100%",
    )


def _outcome_row(index: int, key: str) -> rx.Component:
    row = A.outcomes[index]
    return rx.vstack(
        rx.hstack(
            rx.text(t(f"an.outcome.{key}"), size="2", flex="1"),
            rx.text(row["count"], " · ", row["pct"], "%", size="2", weight="bold", class_name="outcome-value"),
            width="100%",
        ),
        rx.progress(value=row["pct"].to(int), max=100, color_scheme=OUTCOME_COLOURS[key]),  # type: ignore[attr-defined]
        spacing="1",
        width="100%",
        custom_attrs={"data-outcome": key},
        class_name="outcome-row",
    )


def _outcomes() -> rx.Component:
    return chart_card(
        "an.outcomes",
        *[_outcome_row(i, key) for i, key in enumerate(OUTCOMES)],
        hint="an.outcomes_hint",
        id="analytics-outcomes",
    )


def _first_response() -> rx.Component:
    return chart_card(
        "an.first_response",
        rx.hstack(
            rx.text(both_text(A.median_response), size="6", weight="bold", id="median-first-response"),
            rx.text(A.first_responses, " ", t("an.taken_dialogs"), size="1", color_scheme="gray"),
            align="baseline",
            spacing="2",
        ),
        rx.cond(
            A.operators.length() > 0,  # type: ignore[attr-defined]
            data_table(
                ["an.operator", "an.median", "an.count"],
                rx.foreach(
                    A.operators,
                    lambda o: rx.table.row(
                        rx.table.cell(o["name"]),
                        rx.table.cell(rx.cond(SessionState.lang == "ru", o["median_ru"], o["median_en"])),
                        rx.table.cell(o["count"]),
                    ),
                ),
                overflow_x="auto",
            ),
        ),
        hint="an.first_response_hint",
        id="analytics-first-response",
    )


def _weekday(index: rx.Var) -> rx.Component:
    return rx.text(rx.match(index, *[(i, t(key)) for i, key in enumerate(WEEKDAYS)], ""), size="1")


def _heat_row(levels: rx.Var, index: rx.Var) -> rx.Component:
    return rx.fragment(
        _weekday(index),
        rx.foreach(
            levels,
            lambda level: rx.box(
                height="14px", border_radius="2px", background_color=rx.match(level, *enumerate(SHADES), SHADES[0])
            ),
        ),
    )


def _busiest_hours() -> rx.Component:
    return chart_card(
        "an.busiest_hours",
        rx.recharts.bar_chart(
            rx.recharts.bar(
                data_key="messages", name=t("an.messages"), fill="var(--accent-9)", is_animation_active=False
            ),
            rx.recharts.x_axis(data_key="hour", interval=2),
            rx.recharts.y_axis(allow_decimals=False, width=32),
            rx.recharts.graphing_tooltip(),
            data=A.hour_bars,
            height=180,
            width="100%",
        ),
        rx.box(
            rx.foreach(A.heat, _heat_row),
            display="grid",
            grid_template_columns="2.4em repeat(24, minmax(0, 1fr))",
            gap="2px",
            width="100%",
            align_items="center",
            id="heatmap",
        ),
        hint="an.busiest_hint",
        id="analytics-hours",
        class_name="analytics-chart",
        width="100%",
    )


def _spend() -> rx.Component:
    return chart_card(
        "an.spend",
        rx.cond(
            A.spend.length() > 0,  # type: ignore[attr-defined]
            data_table(
                ["assistant", "an.replies", "an.spent"],
                rx.foreach(
                    A.spend,
                    lambda s: rx.table.row(
                        rx.table.cell(s["name"]),
                        rx.table.cell(s["replies"]),
                        rx.table.cell(s["spent"]),
                        class_name="spend-row",
                    ),
                ),
            ),
            rx.text(t("an.no_spend"), size="2", color_scheme="gray"),
        ),
        aside=rx.text(A.total_spent, size="2", weight="bold"),
        id="analytics-spend",
    )


def _feedback() -> rx.Component:
    """Answer feedback 👍/👎 totals (issue 14 item 13, from services.feedback)."""
    return chart_card(
        "an.feedback",
        rx.hstack(
            rx.hstack(
                rx.icon("thumbs-up", size=22, color="var(--grass-9)"),
                rx.text(A.feedback_up, size="6", weight="bold", id="feedback-up"),
                align="center",
            ),
            rx.hstack(
                rx.icon("thumbs-down", size=22, color="var(--red-9)"),
                rx.text(A.feedback_down, size="6", weight="bold", id="feedback-down"),
                align="center",
            ),
            spacing="5",
        ),
        hint="an.feedback_hint",
        id="analytics-feedback",
    )


def _dashboard() -> rx.Component:
    return rx.vstack(
        rx.box(
            _stat("an.dialogs", A.total_dialogs, "total-dialogs"),
            _stat("an.messages", A.total_messages, "total-messages"),
            _stat("an.first_response", both_text(A.median_response), "stat-first-response"),
            _stat("an.total_spent", A.total_spent, "stat-spent"),
            class_name="grid-4",
            width="100%",
        ),
        _by_channel_chart("dialogs", "an.dialogs_by_channel", "chart-dialogs"),
        _by_channel_chart("messages", "an.messages_by_channel", "chart-messages"),
        rx.box(_outcomes(), _first_response(), class_name="grid-2", width="100%"),
        _busiest_hours(),
        rx.box(_spend(), _feedback(), class_name="grid-2", width="100%"),
        spacing="4",
        width="100%",
    )


def analytics_page() -> rx.Component:
    return app_shell(
        page_header(t("analytics"), heading_id="analytics-heading"),
        rx.cond(
            A.denied != "",
            rx.callout(A.denied, icon="lock", color_scheme="red", id="no-access"),
            rx.vstack(
                _controls(),
                rx.cond(
                    (A.total_messages == 0) & (A.total_dialogs == 0) & ~A.loading,
                    empty_state("chart-column", t("an.no_data")),
                ),
                _dashboard(),
                spacing="4",
                width="100%",
            ),
        ),
        active="analytics",
    )


def register(app: rx.App) -> None:
    app.add_page(analytics_page, route="/analytics", title="Analytics · ChatAI", on_load=[SessionState.guard, A.load])
