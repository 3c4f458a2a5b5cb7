"""/admin/monitoring — charts of the platform's traffic, the model, the job queue and the bots, with the health of
every part — and /admin/trace, what happened to one message (platform admins; issue 14)."""

from __future__ import annotations

import reflex as rx

from chatai_app.components.admin import admin_shell, data_table
from chatai_app.components.charts import chart_card
from chatai_app.components.i18n import t
from chatai_app.components.layout import empty_state
from chatai_app.state.admin_monitoring import HOURS
from chatai_app.state.admin_monitoring import AdminMonitoringState as M
from chatai_app.state.admin_monitoring import AdminTraceState as T
from chatai_app.state.session import SessionState

COLOURS = {"telegram": "#2f80ed", "widget": "#27ae60", "api": "#f2994a", "playground": "#9b51e0"}
CHART_HEIGHT = 220


def _figure(label: str, value: rx.Var, figure_id: str, note: rx.Component | None = None) -> rx.Component:
    return rx.card(
        rx.text(t(label), size="1", color_scheme="gray"),
        rx.heading(value, size="6", id=figure_id),
        note or rx.fragment(),
        min_width="0",
    )


def _chart_card(title: str, chart: rx.Component, chart_id: str) -> rx.Component:
    return chart_card(title, rx.box(chart, id=chart_id, class_name="monitoring-chart", width="100%"))


def _axes() -> list[rx.Component]:
    return [
        rx.recharts.cartesian_grid(stroke_dasharray="3 3", vertical=False),
        rx.recharts.x_axis(data_key="hour", tick_line=False, font_size=11, min_tick_gap=12),
        rx.recharts.y_axis(allow_decimals=False, width=36, font_size=11),
        rx.recharts.graphing_tooltip(),
        rx.recharts.legend(icon_size=10, wrapper_style={"fontSize": "11px"}),
    ]


def _messages_chart() -> rx.Component:
    bars = [
        rx.recharts.bar(data_key=c, stack_id="m", fill=colour, name=t(f"channel.{c}"), is_animation_active=False)
        for c, colour in COLOURS.items()
    ]
    return rx.recharts.bar_chart(*bars, *_axes(), data=M.messages, height=CHART_HEIGHT, width="100%")


def _llm_chart() -> rx.Component:
    return rx.recharts.composed_chart(
        rx.recharts.bar(
            data_key="errors", fill="#eb5757", y_axis_id="count", name=t("mon.s.errors"), is_animation_active=False
        ),
        rx.recharts.line(
            data_key="p50_ms",
            stroke="#2f80ed",
            y_axis_id="ms",
            dot=False,
            name=t("mon.s.p50"),
            is_animation_active=False,
        ),
        rx.recharts.line(
            data_key="p95_ms",
            stroke="#9b51e0",
            y_axis_id="ms",
            dot=False,
            name=t("mon.s.p95"),
            is_animation_active=False,
        ),
        rx.recharts.line(
            data_key="turn_p95_ms",
            stroke="#f2994a",
            y_axis_id="ms",
            dot=False,
            name=t("mon.s.turn"),
            is_animation_active=False,
            stroke_dasharray="4 3",
        ),
        rx.recharts.cartesian_grid(stroke_dasharray="3 3", vertical=False),
        rx.recharts.x_axis(data_key="hour", tick_line=False, font_size=11, min_tick_gap=12),
        rx.recharts.y_axis(y_axis_id="ms", width=44, font_size=11),
        rx.recharts.y_axis(y_axis_id="count", orientation="right", allow_decimals=False, width=28, font_size=11),
        rx.recharts.graphing_tooltip(),
        rx.recharts.legend(icon_size=10, wrapper_style={"fontSize": "11px"}),
        data=M.llm,
        height=CHART_HEIGHT,
        width="100%",
    )


def _jobs_chart() -> rx.Component:
    return rx.recharts.bar_chart(
        rx.recharts.bar(data_key="deferred", fill="#56ccf2", name=t("mon.s.queued"), is_animation_active=False),
        rx.recharts.bar(data_key="succeeded", fill="#27ae60", name=t("mon.s.done"), is_animation_active=False),
        rx.recharts.bar(data_key="failed", fill="#eb5757", name=t("mon.s.failed"), is_animation_active=False),
        *_axes(),
        data=M.jobs,
        height=CHART_HEIGHT,
        width="100%",
    )


def _bots_chart() -> rx.Component:
    return rx.recharts.bar_chart(
        rx.recharts.bar(data_key="count", fill="#2f80ed", name=t("mon.bots"), is_animation_active=False),
        rx.recharts.cartesian_grid(stroke_dasharray="3 3", vertical=False),
        rx.recharts.x_axis(data_key="status", tick_line=False, font_size=11),
        rx.recharts.y_axis(allow_decimals=False, width=36, font_size=11),
        rx.recharts.graphing_tooltip(),
        data=M.bots,
        height=CHART_HEIGHT,
        width="100%",
    )


def _health_row(check: rx.Var) -> rx.Component:
    colour = rx.match(check["state"], ("ok", "green"), ("degraded", "amber"), ("down", "red"), "gray")
    return rx.table.row(
        rx.table.cell(rx.text(check["name"], weight="medium", size="2")),
        rx.table.cell(
            rx.badge(
                rx.match(check["state"], *[(s, t(f"mon.state.{s}")) for s in STATES], check["state"]),
                color_scheme=colour,
            )
        ),
        rx.table.cell(rx.text(check["detail"], size="1", color_scheme="gray")),
        class_name="health-row",
        custom_attrs={"data-name": check["name"], "data-state": check["state"]},
    )


STATES = ("ok", "degraded", "down", "off")


def _failing_bot(bot: rx.Var) -> rx.Component:
    return rx.table.row(
        rx.table.cell(bot["bot"]),
        rx.table.cell(bot["workspace"]),
        rx.table.cell(rx.badge(bot["status"], color_scheme="red")),
        rx.table.cell(rx.text(bot["error"], size="1"), rx.text(bot["last_update"], size="1", color_scheme="gray")),
        class_name="failing-bot",
    )


def _controls() -> rx.Component:
    return rx.hstack(
        rx.select.root(
            rx.select.trigger(id="monitoring-hours"),
            rx.select.content(*[rx.select.item(t(f"mon.hours_{h}"), value=h) for h in HOURS]),
            value=M.hours,
            on_change=M.set_hours,
        ),
        rx.button(
            rx.icon("refresh-cw", size=14),
            t("mon.refresh"),
            on_click=M.refresh,
            variant="soft",
            size="2",
            id="monitoring-refresh",
        ),
        rx.text(t("mon.updated"), " ", M.updated, size="1", color_scheme="gray", id="monitoring-updated"),
        rx.link(t("mon.open_trace"), href="/admin/trace", size="2"),
        align="center",
        wrap="wrap",
        spacing="3",
    )


def _figures() -> rx.Component:
    return rx.box(
        _figure("mon.messages_period", M.figures["messages"], "fig-messages"),
        _figure("mon.llm_errors", M.figures["llm_errors"], "fig-llm-errors"),
        _figure(
            "mon.operators_online",
            M.figures["online"],
            "fig-operators",
            rx.text(t("presence.away"), ": ", M.figures["away"], size="1", color_scheme="gray"),
        ),
        _figure(
            "mon.widget_streams",
            M.figures["streams"],
            "fig-widget",
            rx.text(t("mon.widget_active"), ": ", M.figures["active_dialogs"], size="1", color_scheme="gray"),
        ),
        _figure(
            "mon.jobs_waiting",
            M.depth["todo"],
            "fig-jobs",
            rx.text(
                t("mon.jobs_running"),
                ": ",
                M.depth["doing"],
                " · ",
                t("mon.jobs_failed"),
                ": ",
                M.depth["failed"],
                size="1",
                color_scheme="gray",
            ),
        ),
        _figure("mon.bots", M.figures["bots"], "fig-bots"),
        class_name="grid-3",
        width="100%",
    )


def monitoring_page() -> rx.Component:
    return admin_shell(
        "adm.monitoring",
        _controls(),
        _figures(),
        chart_card(
            "mon.health",
            rx.box(
                data_table(["mon.part", "status", "mon.detail"], rx.foreach(M.health, _health_row), id="health"),
                overflow_x="auto",
                width="100%",
            ),
            width="100%",
        ),
        rx.box(
            _chart_card("mon.messages_per_hour", _messages_chart(), "chart-messages"),
            _chart_card("mon.llm_latency", _llm_chart(), "chart-llm"),
            _chart_card("mon.jobs_per_hour", _jobs_chart(), "chart-jobs"),
            _chart_card("mon.bots_by_status", _bots_chart(), "chart-bots"),
            class_name="grid-2",
            width="100%",
        ),
        rx.cond(
            M.failing_bots.length() > 0,  # type: ignore[attr-defined]
            chart_card(
                "mon.failing_bots",
                rx.box(
                    data_table(
                        ["mon.bot", "workspace", "status", "mon.error"], rx.foreach(M.failing_bots, _failing_bot)
                    ),
                    overflow_x="auto",
                    width="100%",
                ),
                width="100%",
            ),
        ),
        rx.text(t("mon.hint"), size="1", color_scheme="gray"),
        denied=M.denied,
    )


def _step(step: rx.Var) -> rx.Component:
    return rx.table.row(
        rx.table.cell(
            rx.text(rx.match(step["stage"], *[(s, t(f"trace.{s}")) for s in STAGES], step["stage"]), weight="medium")
        ),
        rx.table.cell(rx.text(step["at"], size="2")),
        rx.table.cell(rx.text(step["took"], size="1", color_scheme="gray")),
        rx.table.cell(
            rx.box(
                rx.box(height="8px", width=step["width"], background="var(--accent-9)", border_radius="4px"),
                width="100%",
                min_width="60px",
                background="var(--gray-a3)",
                border_radius="4px",
            ),
            width="40%",
        ),
        class_name="trace-step",
        custom_attrs={"data-stage": step["stage"], "data-state": step["state"]},
    )


STAGES = ("received", "stored", "retrieved", "llm", "charged", "delivered")


def _trace_card() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.heading(t("trace.message"), " #", T.trace["message_id"], size="4"),
                rx.badge(T.trace["channel"]),
                rx.badge(T.trace["outcome"], color_scheme="gray"),
                wrap="wrap",
                align="center",
            ),
            rx.text(
                t("trace.received_at"),
                ": ",
                T.trace["received_at"],
                " UTC · ",
                t("trace.total"),
                ": ",
                T.trace["total"],
                size="1",
                color_scheme="gray",
            ),
            rx.text(rx.text.strong(t("trace.question"), ": "), T.trace["question"], size="2", id="trace-question"),
            rx.text(rx.text.strong(t("trace.reply"), ": "), T.trace["reply"], size="2", white_space="pre-wrap"),
            data_table(
                ["trace.stage", "trace.at", "trace.took", "trace.timeline"], rx.foreach(T.steps, _step), id="trace"
            ),
            rx.hstack(
                rx.foreach(
                    T.facts, lambda f: rx.badge(f["name"], ": ", f["value"], variant="soft", color_scheme="gray")
                ),
                wrap="wrap",
            ),
            rx.text(t("trace.delivery_note"), size="1", color_scheme="gray"),
            rx.text(
                t("workspace"),
                ": ",
                T.trace["tenant"],
                " · ",
                t("trace.dialog"),
                ": ",
                T.trace["dialog"],
                size="1",
                color_scheme="gray",
            ),
            spacing="3",
            width="100%",
        ),
        min_width="0",
        width="100%",
    )


def _dialog_lists() -> rx.Component:
    message = rx.foreach(
        T.dialog_messages,
        lambda m: rx.link(
            rx.text("#", m["id"], " ", m["text"], size="2"),
            href="/admin/trace?message=" + m["id"],
            class_name="trace-pick",
        ),
    )
    logs = rx.foreach(
        T.dialog_logs,
        lambda r: rx.text(
            r["at"], " ", rx.badge(r["level"], size="1"), " ", r["message"], size="1", class_name="trace-log"
        ),
    )
    return rx.box(
        rx.cond(
            T.dialog_messages.length() > 0,  # type: ignore[attr-defined]
            chart_card("trace.dialog_messages", rx.vstack(message)),
        ),
        rx.cond(
            T.dialog_logs.length() > 0,  # type: ignore[attr-defined]
            chart_card("trace.dialog_logs", rx.vstack(logs)),
        ),
        class_name="grid-2",
        width="100%",
    )


def trace_page() -> rx.Component:
    return admin_shell(
        "adm.logs",
        rx.form(
            rx.hstack(
                rx.input(name="message_id", placeholder=t("trace.message_id"), id="trace-message-id", width="12em"),
                rx.button(t("trace.show"), type="submit", id="trace-open"),
                wrap="wrap",
            ),
            on_submit=T.open,
            reset_on_submit=False,
        ),
        rx.text(t("trace.hint"), size="1", color_scheme="gray"),
        rx.cond(T.not_found, rx.callout(t("trace.not_found"), icon="search-x", color_scheme="amber")),
        rx.cond(T.trace.contains("message_id"), _trace_card()),  # type: ignore[attr-defined]
        _dialog_lists(),
        rx.cond(
            ~T.trace.contains("message_id") & (T.dialog_messages.length() == 0) & ~T.not_found,  # type: ignore[attr-defined]
            empty_state("route", t("trace.empty")),
        ),
        denied=T.denied,
    )


def register(app: rx.App) -> None:
    app.add_page(
        monitoring_page,
        route="/admin/monitoring",
        title="Monitoring · ChatAI",
        on_load=[SessionState.guard, M.load],
    )
    app.add_page(trace_page, route="/admin/trace", title="Message trace · ChatAI", on_load=[SessionState.guard, T.load])
