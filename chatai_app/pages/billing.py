"""/billing — balance, plan and usage, top-up, promo code, spend chart, history with filters and CSV export;
/admin/billing — pricing settings, balance adjustments, promo codes (platform admins)."""

from __future__ import annotations

import reflex as rx

from chatai_app.components.i18n import t
from chatai_app.components.layout import app_shell
from chatai_app.state.billing import AdminBillingState as A
from chatai_app.state.billing import BillingState as B
from chatai_app.state.session import SessionState

KINDS = ["all", "charge", "refund", "topup", "welcome_bonus", "promo", "adjustment"]


def _feedback(state: type[rx.State]) -> rx.Component:
    return rx.fragment(
        rx.cond(state.message != "", rx.callout(state.message, color_scheme="green", size="1", id="billing-message")),
        rx.cond(state.error != "", rx.callout(state.error, color_scheme="red", size="1", id="billing-error")),
    )


def _plan_card(plan: rx.Var) -> rx.Component:
    current = plan["code"] == B.plan_code
    return rx.card(
        rx.heading(plan["name"], size="4"),
        rx.text(plan["price"], " / ", t("month"), weight="bold"),
        rx.text(plan["limits"], size="1", color_scheme="gray"),
        rx.cond(
            current,
            rx.badge(t("current_plan"), color_scheme="green"),
            rx.button(t("choose"), size="1", on_click=B.choose_plan(plan["code"]), class_name="choose-plan"),
        ),
        class_name="plan-card",
    )


def _overview() -> rx.Component:
    return rx.grid(
        rx.card(
            rx.text(t("balance"), size="2", color_scheme="gray"),
            rx.heading(B.balance, " ₽", size="8", id="balance"),
            rx.form(
                rx.hstack(
                    rx.input(name="amount", placeholder="1000", width="8em", id="topup-amount"),
                    rx.button(t("top_up"), type="submit", id="topup-submit", disabled=~B.payments_enabled),
                ),
                on_submit=B.top_up,
            ),
            rx.cond(~B.payments_enabled, rx.text(t("payments_off"), size="1", color_scheme="gray")),
            rx.form(
                rx.hstack(
                    rx.input(name="code", placeholder=t("promo_code"), id="promo-code", width="10em"),
                    rx.button(t("apply"), type="submit", id="promo-submit", variant="soft"),
                ),
                on_submit=B.redeem,
                margin_top="0.6em",
            ),
        ),
        rx.card(
            rx.text(t("plan"), ": ", rx.text.span(B.plan_name, weight="bold", id="plan-name"), size="2"),
            rx.foreach(B.usage, lambda u: rx.text(u["name"], ": ", u["used"], " / ", u["limit"], size="1")),
            rx.foreach(B.notices, lambda n: rx.text(n["when"], " · ", n["text"], size="1", color_scheme="orange")),
        ),
        rx.card(
            rx.text(t("spend_30_days"), size="2", color_scheme="gray"),
            rx.recharts.bar_chart(
                rx.recharts.bar(data_key="spent", fill="var(--accent-9)"),
                rx.recharts.x_axis(data_key="day"),
                rx.recharts.y_axis(),
                rx.recharts.graphing_tooltip(),
                data=B.spend,
                height=160,
                width="100%",
            ),
        ),
        columns="3",
        spacing="4",
        width="100%",
    )


def _history() -> rx.Component:
    return rx.card(
        rx.hstack(
            rx.heading(t("transactions"), size="4"),
            rx.select(KINDS, value=B.kind, on_change=B.set_kind, size="1", id="kind-filter"),
            rx.form(
                rx.hstack(
                    rx.input(name="since", type="date", size="1"),
                    rx.input(name="until", type="date", size="1"),
                    rx.button(t("search"), type="submit", size="1", variant="soft"),
                ),
                on_submit=B.filter,
                reset_on_submit=False,
            ),
            rx.spacer(),
            rx.button(t("export_csv"), on_click=B.export_csv, size="1", id="export-csv"),
            align="center",
            wrap="wrap",
            width="100%",
        ),
        rx.table.root(
            rx.table.header(
                rx.table.row(
                    *[
                        rx.table.column_header_cell(t(k))
                        for k in ("date", "type", "amount", "balance_after", "reference")
                    ]
                )
            ),
            rx.table.body(
                rx.foreach(
                    B.rows,
                    lambda r: rx.table.row(
                        rx.table.cell(r["when"]),
                        rx.table.cell(rx.badge(r["type"])),
                        rx.table.cell(r["amount"]),
                        rx.table.cell(r["after"]),
                        rx.table.cell(r["reference"]),
                        class_name="tx-row",
                    ),
                )
            ),
            width="100%",
        ),
    )


def billing_page() -> rx.Component:
    return app_shell(
        rx.heading(t("billing"), size="7"),
        _feedback(B),
        _overview(),
        rx.grid(rx.foreach(B.plan_cards, _plan_card), columns="3", spacing="3", width="100%"),
        _history(),
    )


def admin_billing_page() -> rx.Component:
    return app_shell(
        rx.heading(t("admin_billing"), size="7"),
        _feedback(A),
        rx.grid(
            rx.card(
                rx.heading(t("pricing"), size="4"),
                rx.text(t("pricing_help"), size="1", color_scheme="gray"),
                rx.form(
                    rx.text_area(
                        name="pricing",
                        default_value=A.pricing,
                        key=A.pricing,
                        rows="10",
                        width="100%",
                        id="pricing-json",
                        font_family="monospace",
                    ),
                    rx.button(t("save"), type="submit", id="pricing-save"),
                    on_submit=A.save_pricing,
                    reset_on_submit=False,
                ),
            ),
            rx.vstack(
                rx.card(
                    rx.heading(t("adjust_balance"), size="4"),
                    rx.form(
                        rx.vstack(
                            rx.input(name="email", placeholder=t("owner_email"), id="adjust-email"),
                            rx.input(name="amount", placeholder="+500 / -100", id="adjust-amount"),
                            rx.input(name="reason", placeholder=t("reason"), id="adjust-reason"),
                            rx.button(t("apply"), type="submit", id="adjust-submit"),
                        ),
                        on_submit=A.adjust,
                    ),
                    width="100%",
                ),
                rx.card(
                    rx.heading(t("promo_codes"), size="4"),
                    rx.form(
                        rx.vstack(
                            rx.input(name="code", placeholder="SPRING25", id="new-code"),
                            rx.select(["amount", "percent"], name="kind", default_value="amount"),
                            rx.input(name="value", placeholder=t("promo_value"), id="new-code-value"),
                            rx.input(name="max_uses", placeholder=t("max_uses")),
                            rx.input(name="expires", type="date"),
                            rx.button(t("add"), type="submit", id="new-code-submit"),
                        ),
                        on_submit=A.add_code,
                    ),
                    rx.foreach(
                        A.codes,
                        lambda c: rx.text(
                            c["code"], " · ", c["kind"], " ", c["value"], " · ", c["used"], " ", c["expires"], size="1"
                        ),
                    ),
                    width="100%",
                ),
                width="100%",
            ),
            columns="2",
            spacing="4",
            width="100%",
        ),
    )


def register(app: rx.App) -> None:
    app.add_page(billing_page, route="/billing", title="Billing · ChatAI", on_load=[SessionState.guard, B.load])
    app.add_page(admin_billing_page, route="/admin/billing", title="Admin billing · ChatAI",
                 on_load=[SessionState.guard, A.load])  # fmt: skip
