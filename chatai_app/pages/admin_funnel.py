"""/admin/funnel — the public landing page's sign-up funnel for platform admins (issue 14 item 14)."""

from __future__ import annotations

import reflex as rx

from chatai_app.components.admin import admin_shell, data_table
from chatai_app.components.charts import period_picker
from chatai_app.components.i18n import t
from chatai_app.state.admin_funnel import STEPS
from chatai_app.state.admin_funnel import AdminFunnelState as F
from chatai_app.state.session import SessionState


def _controls() -> rx.Component:
    return period_picker(F, "funnel")


def _row(step: rx.Var) -> rx.Component:
    return rx.table.row(
        rx.table.cell(
            rx.text(rx.match(step["key"], *[(k, t(f"funnel.{k}")) for k in STEPS], step["key"]), size="2"),
            rx.progress(value=step["bar"].to(int), max=100, size="1", margin_top="4px"),
            min_width="10em",
        ),
        rx.table.cell(rx.text(step["count"], weight="bold"), class_name="funnel-count"),
        rx.table.cell(step["conversion"], class_name="funnel-conversion"),
        rx.table.cell(step["of_first"]),
        class_name="funnel-row",
        custom_attrs={"data-step": step["key"]},
    )


def funnel_page() -> rx.Component:
    return admin_shell(
        "adm.funnel",
        rx.text(t("funnel.hint"), size="2", color_scheme="gray"),
        _controls(),
        rx.box(
            data_table(
                ["funnel.step", "funnel.count", "funnel.conversion", "funnel.of_first"],
                rx.foreach(F.steps, _row),
                id="funnel",
            ),
            overflow_x="auto",
            width="100%",
        ),
        rx.text(t("funnel.all_workspaces"), ": ", F.all_workspaces, size="2", color_scheme="gray", id="funnel-all"),
        denied=F.denied,
    )


def register(app: rx.App) -> None:
    app.add_page(
        funnel_page, route="/admin/funnel", title="Sign-up funnel · ChatAI", on_load=[SessionState.guard, F.load]
    )
