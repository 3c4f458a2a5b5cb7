"""/admin/settings — system settings in forms (amounts in roubles): prices and bonuses, plan limits, handoff
defaults, feature flags, and the history of changes with their previous values (platform admins; issue 14)."""

from __future__ import annotations

import reflex as rx

from chatai_app.components.admin import admin_shell, data_table
from chatai_app.components.i18n import enum_label, t
from chatai_app.components.layout import field_error
from chatai_app.state.admin_settings import RESOURCES
from chatai_app.state.admin_settings import AdminSettingsState as S
from chatai_app.state.session import SessionState


def _field(label: str, key: str, hint: str = "", **props) -> rx.Component:
    field_id = "set-" + key.replace(".", "-").replace("_", "-")
    return rx.box(
        rx.text(t(label), size="2", weight="medium", as_="label", html_for=field_id),
        rx.input(
            name=key,
            id=field_id,
            default_value=S.values.get(key, ""),
            key=S.values.get(key, "") + S.revision.to_string(),
            width="100%",
            **props,
        ),
        rx.text(t(hint), size="1", color_scheme="gray") if hint else rx.fragment(),
        field_error(S.errors.get(key, "")),
        min_width="0",
    )


def _choice(label: str, key: str, options: tuple[str, ...], prefix: str) -> rx.Component:
    field_id = "set-" + key.replace(".", "-").replace("_", "-")
    return rx.box(
        rx.text(t(label), size="2", weight="medium"),
        rx.select.root(
            rx.select.trigger(id=field_id, width="100%"),
            rx.select.content(*[rx.select.item(t(f"{prefix}.{o}"), value=o) for o in options]),
            value=S.values.get(key, options[0]),
            on_change=lambda value: S.set_choice(key, value),
        ),
        field_error(S.errors.get(key, "")),
        min_width="0",
    )


def _switch(label: str, key: str, hint: str) -> rx.Component:
    field_id = "set-" + key.replace(".", "-").replace("_", "-")
    return rx.hstack(
        rx.switch(checked=S.flags.get(key, False), on_change=lambda v: S.set_flag(key, v), class_name=field_id),
        rx.box(
            rx.text(t(label), size="2", weight="medium"),
            rx.text(t(hint), size="1", color_scheme="gray"),
        ),
        align="start",
        spacing="3",
    )


def _token_row(row: rx.Var, index: rx.Var) -> rx.Component:
    return rx.hstack(
        rx.input(
            name="token-model-" + index.to_string(),
            default_value=row["model"],
            key=row["model"] + S.revision.to_string(),
            placeholder=t("set.model"),
            flex="2",
            min_width="0",
        ),
        rx.input(
            name="token-price-" + index.to_string(),
            default_value=row["price"],
            key=row["price"] + S.revision.to_string(),
            placeholder="₽",
            flex="1",
            min_width="0",
        ),
        rx.icon_button(
            rx.icon("x", size=14),
            type="button",
            variant="soft",
            color_scheme="gray",
            on_click=S.remove_token_row(index),
            aria_label=t("set.remove_row"),
        ),
        width="100%",
        class_name="token-row",
    )


def _pricing() -> rx.Component:
    return rx.card(
        rx.heading(t("set.pricing"), size="4"),
        rx.text(t("set.pricing_help"), size="1", color_scheme="gray"),
        rx.form(
            rx.vstack(
                _field("message_price", "pricing.message_minor"),
                _field("widget_message_price", "pricing.widget_message_minor"),
                _field("welcome_bonus_rub", "billing.welcome_bonus_minor"),
                _field("set.thresholds", "billing.low_balance_thresholds_minor", "set.thresholds_hint"),
                _choice("zero_balance_behaviour", "billing.zero_balance_behaviour", ("stop", "handoff"), "zero"),
                rx.text(t("set.token_prices"), size="2", weight="medium"),
                rx.foreach(S.token_rows, _token_row),
                field_error(S.errors.get("pricing.per_1k_tokens_minor", "")),
                rx.hstack(
                    rx.button(t("set.add_model"), type="button", variant="soft", on_click=S.add_token_row, size="1"),
                    rx.button(t("save"), type="submit", id="save-pricing"),
                    justify="between",
                    width="100%",
                ),
                width="100%",
            ),
            on_submit=S.save_pricing,
            reset_on_submit=False,
        ),
        min_width="0",
    )


def _handoff() -> rx.Component:
    return rx.card(
        rx.heading(t("set.handoff"), size="4"),
        rx.text(t("set.handoff_help"), size="1", color_scheme="gray"),
        rx.form(
            rx.vstack(
                _field("set.fallback_after", "handoff.fallback_after", "set.fallback_after_hint", type="number"),
                _choice("set.on_llm_failure", "handoff.on_llm_failure", ("apology", "handoff"), "failure"),
                _field("set.wait_timeout_s", "handoff.wait_timeout_s", "set.wait_timeout_hint", type="number"),
                _choice("set.on_timeout", "handoff.on_timeout", ("ai", "offline_form"), "set.timeout"),
                _switch("set.repeat_detection", "handoff.repeat_detection", "set.repeat_detection_hint"),
                rx.button(t("save"), type="submit", id="save-handoff"),
                width="100%",
            ),
            on_submit=S.save_handoff,
            reset_on_submit=False,
        ),
        min_width="0",
        width="100%",
    )


def _features() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading(t("set.features"), size="4"),
            _switch("set.signup_open", "features.signup_open", "set.signup_open_hint"),
            _switch("set.website_import", "features.website_import", "set.website_import_hint"),
            rx.button(t("save"), on_click=S.save_features, id="save-features"),
            spacing="3",
        ),
        min_width="0",
        width="100%",
    )


def _plan_form(plan: rx.Var) -> rx.Component:
    def cell(name: str, label: str) -> rx.Component:
        return rx.box(
            rx.text(t(label), size="1", color_scheme="gray"),
            rx.input(
                name=name,
                default_value=plan[name],
                key=plan[name] + S.revision.to_string(),
                size="1",
                placeholder="∞" if name != "price" else "₽",
            ),
            field_error(S.errors.get(plan["code"] + "." + name, "")),
            min_width="0",
        )

    return rx.form(
        rx.el.input(type="hidden", name="code", value=plan["code"]),
        rx.hstack(
            rx.text(enum_label(plan["code"], "plan"), weight="bold", size="2", min_width="6em"),
            cell("price", "set.monthly_price"),
            *[cell(r, f"limit.{r}") for r in RESOURCES],
            rx.button(t("save"), type="submit", size="1", class_name="save-plan"),
            wrap="wrap",
            align="end",
            spacing="2",
            width="100%",
        ),
        on_submit=S.save_plan,
        reset_on_submit=False,
        class_name="plan-form",
        custom_attrs={"data-plan": plan["code"]},
    )


def _plans() -> rx.Component:
    return rx.card(
        rx.heading(t("set.plans"), size="4"),
        rx.text(t("set.plans_help"), size="1", color_scheme="gray"),
        rx.vstack(rx.foreach(S.plans, _plan_form), spacing="3", margin_top="0.5em", width="100%"),
        min_width="0",
        width="100%",
    )


def _history() -> rx.Component:
    row = rx.foreach(
        S.history,
        lambda c: rx.table.row(
            rx.table.cell(c["at"], size="1"),
            rx.table.cell(rx.text(c["actor"], size="1")),
            rx.table.cell(rx.text(enum_label(c["key"], "setkey"), size="1"), rx.code(c["key"], size="1")),
            rx.table.cell(rx.text(c["previous"], size="1", color_scheme="gray")),
            rx.table.cell(rx.text(c["value"], size="1")),
            class_name="settings-change",
            custom_attrs={"data-key": c["key"]},
        ),
    )
    return rx.card(
        rx.heading(t("set.history"), size="4"),
        rx.box(
            data_table(["adm.time", "set.who", "set.setting", "set.previous", "set.new"], row, id="settings-history"),
            overflow_x="auto",
            width="100%",
        ),
        min_width="0",
        width="100%",
    )


def settings_page() -> rx.Component:
    return admin_shell(
        "adm.settings",
        rx.box(
            _pricing(),
            rx.vstack(_handoff(), _features(), spacing="4", min_width="0", width="100%"),
            class_name="grid-2",
            width="100%",
        ),
        _plans(),
        _history(),
        denied=S.denied,
    )


def register(app: rx.App) -> None:
    app.add_page(
        settings_page, route="/admin/settings", title="Settings · ChatAI", on_load=[SessionState.guard, S.load]
    )
