"""/admin/keys: the AI provider key pool (issue 14): keys with their models, priority, limits, health and today's
usage; add, edit, unpark and delete (confirmed). Platform admins only."""

from __future__ import annotations

import reflex as rx

from chatai_app.components.admin import admin_shell, data_table
from chatai_app.components.i18n import t
from chatai_app.components.layout import confirm, empty_state
from chatai_app.state.admin_keys import AdminKeysState as K
from chatai_app.state.session import SessionState

SMALL = {"size": "1", "color_scheme": "gray"}
LIMIT_FIELDS = (
    ("requests_per_minute", "keys.rpm"),
    ("daily_request_limit", "keys.daily_requests"),
    ("daily_token_limit", "keys.daily_tokens"),
    ("monthly_token_limit", "keys.monthly_tokens"),
)


def _field(label: str, control: rx.Component) -> rx.Component:
    return rx.box(rx.text(t(label), **SMALL), control, width="100%")


def _number_input(name: str, value: rx.Var | str = "", prefix: str = "key") -> rx.Component:
    return rx.input(
        name=name, default_value=value, input_mode="numeric", placeholder="—", id=f"{prefix}-{name}", width="100%"
    )


def _add_form() -> rx.Component:
    return rx.card(
        rx.form(
            rx.vstack(
                rx.heading(t("keys.add"), size="3"),
                rx.grid(
                    _field("keys.provider", rx.input(name="provider", default_value="openai", id="key-provider")),
                    _field(
                        "keys.base_url",
                        rx.input(name="base_url", placeholder="https://api.openai.com/v1", id="key-base-url"),
                    ),
                    _field(
                        "keys.api_key",
                        rx.input(name="api_key", type="password", required=True, id="key-api-key", auto_complete="off"),
                    ),
                    _field("keys.models", rx.input(name="models", placeholder=t("keys.models_hint"), id="key-models")),
                    _field("keys.priority", _number_input("priority", "100")),
                    *[_field(label, _number_input(name)) for name, label in LIMIT_FIELDS],
                    columns=rx.breakpoints(initial="1", sm="2", lg="4"),
                    spacing="3",
                    width="100%",
                ),
                rx.text(t("keys.limits_hint"), **SMALL),
                rx.button(t("keys.add"), type="submit", id="key-add"),
                spacing="3",
                width="100%",
            ),
            on_submit=K.add_key,
            reset_on_submit=True,
        ),
        width="100%",
        flex_shrink="0",  # the page column is a flex box: the form keeps its height
    )


def _state_badge(key: rx.Var) -> rx.Component:
    return rx.vstack(
        rx.match(
            key["state"],
            ("healthy", rx.badge(t("keys.healthy"), color_scheme="green")),
            ("cooling_down", rx.badge(t("keys.cooling_down"), " ", key["cooldown_until"], color_scheme="amber")),
            ("parked", rx.badge(t("keys.parked"), color_scheme="red")),
            rx.badge(t("keys.disabled"), color_scheme="gray"),
        ),
        rx.cond(
            key["parked_en"] != "",
            rx.text(
                rx.cond(SessionState.lang == "ru", key["parked_ru"], key["parked_en"]),
                size="1",
                color_scheme="red",
                class_name="key-parked-reason",
            ),
        ),
        rx.cond(key["auth_failures"] != "0", rx.text(t("keys.auth_failures"), ": ", key["auth_failures"], **SMALL)),
        rx.cond(key["last_error"] != "", rx.text(t("keys.last_error"), ": ", key["last_error"], **SMALL)),
        spacing="1",
        align="start",
        max_width="22em",
    )


def _limits(key: rx.Var) -> rx.Component:
    return rx.vstack(
        *[
            rx.text(t(f"{label}_short"), ": ", rx.cond(key[name] != "", key[name], "—"), size="1", white_space="nowrap")
            for name, label in LIMIT_FIELDS
        ],
        spacing="0",
    )


def _usage(key: rx.Var) -> rx.Component:
    return rx.vstack(
        rx.text(key["requests"], " ", t("keys.requests"), size="1", class_name="key-requests"),
        rx.text(key["tokens"], " ", t("keys.tokens"), size="1"),
        rx.text(key["errors"], " ", t("keys.errors"), " · 429: ", key["rate_limited"], size="1"),
        rx.text(t("keys.month"), ": ", key["month_tokens"], " ", t("keys.tokens"), **SMALL),
        spacing="0",
    )


def _actions(key: rx.Var) -> rx.Component:
    unpark = rx.button(t("keys.unpark"), size="1", variant="soft", color_scheme="green", class_name="key-unpark",
                       on_click=K.unpark(key["id"]))  # fmt: skip
    delete = confirm(
        rx.button(t("keys.delete"), size="1", variant="soft", color_scheme="red", class_name="key-delete"),
        t("keys.delete"),
        rx.text(t("keys.delete_confirm"), " ", key["hint"]),
        t("keys.delete"),
        K.delete(key["id"]),
    )
    return rx.hstack(
        rx.button(t("keys.edit"), size="1", variant="soft", class_name="key-edit", on_click=K.open_edit(key["id"])),
        rx.cond((key["state"] == "parked") | (key["state"] == "cooling_down"), unpark),
        delete,
        wrap="wrap",
        spacing="2",
    )


def _key_row(key: rx.Var) -> rx.Component:
    return rx.table.row(
        rx.table.cell(
            rx.text(key["hint"], weight="medium", class_name="key-hint"),
            rx.text(
                key["provider"], " · ", rx.cond(key["base_url"] != "", key["base_url"], "OPENAI_BASE_URL"), **SMALL
            ),
            rx.text(rx.cond(key["models"] != "", key["models"], t("keys.all_models")), size="1"),
        ),
        rx.table.cell(key["priority"]),
        rx.table.cell(_limits(key)),
        rx.table.cell(_state_badge(key)),
        rx.table.cell(_usage(key)),
        rx.table.cell(_actions(key)),
        class_name="pool-key-row",
        custom_attrs={"data-hint": key["hint"], "data-state": key["state"]},
    )


def _day_row(day: rx.Var) -> rx.Component:
    return rx.text(
        day["day"], ": ", day["requests"], " ", t("keys.requests"), " · ", day["tokens"], " ", t("keys.tokens"),
        " · ", day["errors"], " ", t("keys.errors"), " · 429: ", day["rate_limited"],
        size="1", class_name="key-day",
    )  # fmt: skip


def _edit_dialog() -> rx.Component:
    e = K.editing
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title(t("keys.edit"), " ", e.get("hint", "")),
            rx.form(
                rx.vstack(
                    _field(
                        "keys.models",
                        rx.input(
                            name="models",
                            default_value=e.get("models", ""),
                            placeholder=t("keys.models_hint"),
                            id="edit-models",
                        ),
                    ),
                    _field("keys.priority", _number_input("priority", e.get("priority", ""), prefix="edit")),
                    *[
                        _field(label, _number_input(name, e.get(name, ""), prefix="edit"))
                        for name, label in LIMIT_FIELDS
                    ],
                    rx.cond(
                        K.history.length() > 0,  # type: ignore[attr-defined]
                        rx.box(
                            rx.text(t("keys.by_day"), size="2", weight="medium"),
                            rx.foreach(K.history, _day_row),
                            id="key-history",
                            width="100%",
                        ),
                    ),
                    rx.hstack(
                        rx.checkbox(name="enabled", default_checked=e.get("enabled", "") == "yes", id="edit-enabled"),
                        rx.text(t("keys.enabled"), size="2"),
                        align="center",
                    ),
                    rx.hstack(
                        rx.dialog.close(rx.button(t("cancel"), variant="soft", color_scheme="gray", type="button")),
                        rx.button(t("keys.save"), type="submit", id="edit-save"),
                        justify="end",
                        width="100%",
                    ),
                    spacing="3",
                    width="100%",
                ),
                on_submit=K.save_edit,
            ),
            max_width="28em",
        ),
        open=e.length() > 0,  # type: ignore[attr-defined]
        on_open_change=K.edit_open_changed,
    )


def keys_page() -> rx.Component:
    return admin_shell(
        "adm.keys",
        rx.text(t("keys.intro"), size="2", color_scheme="gray"),
        _add_form(),
        _edit_dialog(),
        rx.cond(
            K.keys.length() > 0,  # type: ignore[attr-defined]
            rx.scroll_area(
                data_table(
                    ["keys.key", "keys.priority", "keys.limits", "keys.state", "keys.today", "actions"],
                    rx.foreach(K.keys, _key_row),
                    id="pool-keys",
                ),
                type="auto",
                scrollbars="horizontal",
                width="100%",
                flex_shrink="0",
            ),
            empty_state("key-round", t("keys.none")),
        ),
        denied=K.denied,
    )


def register(app: rx.App) -> None:
    app.add_page(keys_page, route="/admin/keys", title="AI keys · ChatAI", on_load=[SessionState.guard, K.load])
