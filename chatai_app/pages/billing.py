"""/billing — balance, plan and usage, top-up, promo code, spend chart, history with filters and CSV export;
/admin/billing — pricing settings, balance adjustments, promo codes (platform admins)."""

from __future__ import annotations

import reflex as rx

from chatai_app.components.i18n import both_text, enum_label, t
from chatai_app.components.layout import app_shell, field_error, page_header
from chatai_app.state.billing import AdminBillingState as A
from chatai_app.state.billing import BillingState as B
from chatai_app.state.session import SessionState

KINDS = ["charge", "refund", "topup", "welcome_bonus", "promo", "adjustment"]
PLAN_CODES = ["free", "pro", "business", "enterprise"]


def _plan_name(code: rx.Var, name: rx.Var) -> rx.Component:
    return rx.match(code, *[(c, t(f"plan.{c}")) for c in PLAN_CODES], name)


def _plan_card(plan: rx.Var) -> rx.Component:
    current = plan["code"] == B.plan_code
    return rx.card(
        rx.heading(_plan_name(plan["code"], plan["name"]), size="4"),
        rx.text(plan["price"], " ", t("per_month"), weight="bold", class_name="plan-price"),
        rx.text(
            rx.cond(SessionState.lang == "ru", plan["limits_ru"], plan["limits_en"]), size="1", color_scheme="gray"
        ),
        rx.box(
            rx.cond(
                current,
                rx.badge(t("current_plan"), color_scheme="green"),
                rx.button(t("choose"), size="1", on_click=B.ask_plan(plan["code"]), class_name="choose-plan"),
            ),
            margin_top="0.5em",
        ),
        class_name="plan-card",
        custom_attrs={"data-plan": plan["code"]},
    )


def _plan_confirmation() -> rx.Component:
    plan = B.pending_plan
    return rx.alert_dialog.root(
        rx.alert_dialog.content(
            rx.alert_dialog.title(t("confirm_plan")),
            rx.alert_dialog.description(
                t("confirm_plan_text"),
                " ",
                rx.text.span(_plan_name(plan.get("code", ""), plan.get("name", "")), weight="bold"),
                " — ",
                rx.text.span(plan.get("price", ""), weight="bold", id="confirm-plan-price"),
                ".",
                size="2",
            ),
            rx.text(t("balance"), ": ", B.balance, " ₽", size="2", color_scheme="gray", margin_top="0.5em"),
            rx.flex(
                rx.alert_dialog.cancel(
                    rx.button(t("cancel"), variant="soft", color_scheme="gray", on_click=B.cancel_plan)
                ),
                rx.alert_dialog.action(
                    rx.button(t("choose"), color_scheme="green", on_click=B.choose_plan(""), id="confirm-plan")
                ),
                spacing="3",
                justify="end",
                margin_top="1em",
            ),
            max_width="28em",
        ),
        open=B.pending_plan.length() > 0,
    )


def _overview() -> rx.Component:
    return rx.box(
        rx.card(
            rx.text(t("balance"), size="2", color_scheme="gray"),
            rx.heading(B.balance, " ₽", size="8", id="balance"),
            rx.form(
                rx.box(
                    rx.input(name="amount", placeholder=t("amount_rub"), width="9em", id="topup-amount"),
                    rx.button(t("top_up"), type="submit", id="topup-submit", disabled=~B.payments_enabled),
                    class_name="row-wrap",
                ),
                on_submit=B.top_up,
                margin_top="0.5em",
            ),
            rx.cond(~B.payments_enabled, rx.text(t("payments_off"), size="1", color_scheme="gray")),
            rx.form(
                rx.box(
                    rx.input(name="code", placeholder=t("promo_code"), id="promo-code", width="10em"),
                    rx.button(t("apply"), type="submit", id="promo-submit", variant="soft"),
                    class_name="row-wrap",
                ),
                on_submit=B.redeem,
                margin_top="0.6em",
            ),
        ),
        rx.card(
            rx.text(
                t("plan"),
                ": ",
                rx.text.span(_plan_name(B.plan_code, B.plan_name), weight="bold", id="plan-name"),
                size="2",
            ),
            rx.text(t("usage"), size="1", color_scheme="gray", margin_top="0.5em"),
            rx.foreach(
                B.usage, lambda u: rx.text(enum_label(u["name"], "limit"), ": ", u["used"], " / ", u["limit"], size="1")
            ),
            rx.cond(B.notices.length() > 0, rx.text(t("notices"), size="1", color_scheme="gray", margin_top="0.5em")),
            rx.foreach(
                B.notices,
                lambda n: rx.text(
                    n["when"], " · ", both_text(n), size="1", color_scheme="orange", class_name="billing-notice"
                ),
            ),
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
            min_width="0",
        ),
        class_name="grid-3",
    )


def _history() -> rx.Component:
    return rx.card(
        rx.box(
            rx.heading(t("transactions"), size="4"),
            rx.select.root(
                rx.select.trigger(id="kind-filter"),
                rx.select.content(
                    rx.select.item(t("all"), value="all"), *[rx.select.item(t(f"tx.{k}"), value=k) for k in KINDS]
                ),
                value=B.kind,
                on_change=B.set_kind,
                size="1",
            ),
            rx.form(
                rx.box(
                    rx.input(name="since", type="date", size="1"),
                    rx.input(name="until", type="date", size="1"),
                    rx.button(t("search"), type="submit", size="1", variant="soft"),
                    class_name="row-wrap",
                ),
                on_submit=B.filter,
                reset_on_submit=False,
            ),
            rx.button(t("export_csv"), on_click=B.export_csv, size="1", id="export-csv"),
            class_name="row-wrap",
        ),
        rx.box(
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
                            rx.table.cell(r["when"], white_space="nowrap"),
                            rx.table.cell(rx.badge(enum_label(r["type"], "tx"))),
                            rx.table.cell(r["amount"], white_space="nowrap"),
                            rx.table.cell(r["after"], white_space="nowrap"),
                            rx.table.cell(rx.cond(SessionState.lang == "ru", r["reference_ru"], r["reference_en"])),
                            class_name="tx-row",
                        ),
                    )
                ),
                width="100%",
            ),
            class_name="table-scroll",
            margin_top="0.75em",
        ),
        rx.cond(B.rows.length() == 0, rx.text(t("no_transactions"), size="2", color_scheme="gray")),
    )


def billing_page() -> rx.Component:
    return app_shell(
        page_header(t("billing")),
        _overview(),
        rx.box(rx.foreach(B.plan_cards, _plan_card), class_name="grid-4"),
        _history(),
        _plan_confirmation(),
        active="billing",
    )


def admin_billing_page() -> rx.Component:
    return app_shell(
        page_header(t("admin_billing")),
        rx.box(
            rx.card(  # prices, bonuses and limits are edited in forms on /admin/settings (issue 14)
                rx.heading(t("pricing"), size="4"),
                rx.text(t("set.pricing_moved"), size="2", color_scheme="gray"),
                rx.link(rx.button(t("adm.settings"), variant="soft", id="to-settings"), href="/admin/settings"),
            ),
            rx.vstack(
                rx.card(
                    rx.heading(t("adjust_balance"), size="4"),
                    rx.form(
                        rx.vstack(
                            rx.input(name="email", placeholder=t("owner_email"), id="adjust-email", width="100%"),
                            rx.input(
                                name="amount",
                                placeholder=t("amount_rub") + " (+500 / -100)",
                                id="adjust-amount",
                                width="100%",
                            ),
                            rx.input(name="reason", placeholder=t("reason"), id="adjust-reason", width="100%"),
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
                            rx.input(name="code", placeholder="SPRING25", id="new-code", width="100%"),
                            field_error(A.errors.get("promo_code", "")),
                            rx.select.root(
                                rx.select.trigger(id="new-code-kind"),
                                rx.select.content(
                                    rx.select.item(t("promo.amount"), value="amount"),
                                    rx.select.item(t("promo.percent"), value="percent"),
                                ),
                                name="kind",
                                default_value="amount",
                            ),
                            rx.input(name="value", placeholder=t("promo_value"), id="new-code-value", width="100%"),
                            field_error(A.errors.get("promo_value", ""), id="new-code-value-error"),
                            rx.input(name="max_uses", placeholder=t("max_uses"), width="100%"),
                            field_error(A.errors.get("promo_max_uses", "")),
                            rx.input(name="expires", type="date"),
                            rx.button(t("add"), type="submit", id="new-code-submit"),
                            width="100%",
                        ),
                        on_submit=A.add_code,
                    ),
                    rx.foreach(
                        A.codes,
                        lambda c: rx.text(
                            rx.text.span(c["code"], weight="bold"),
                            " · ",
                            c["value"],
                            " · ",
                            c["used"],
                            " ",
                            t("uses"),
                            rx.cond(c["expires"] != "", rx.fragment(" · ", t("expires"), " ", c["expires"])),
                            size="1",
                            class_name="promo-row",
                        ),
                    ),
                    width="100%",
                ),
                width="100%",
            ),
            class_name="grid-2",
        ),
        active="admin_billing",
    )


def register(app: rx.App) -> None:
    app.add_page(billing_page, route="/billing", title="Billing · ChatAI", on_load=[SessionState.guard, B.load])
    app.add_page(
        admin_billing_page, route="/admin/billing", title="Admin billing · ChatAI", on_load=[SessionState.guard, A.load]
    )
