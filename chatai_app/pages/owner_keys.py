"""/keys: a workspace owner's own AI provider keys (issue 14): each key's provider, base URL, models, priority,
limits, state (healthy, cooling down, parked with the reason, over a limit) and today's usage; add (the secret is
never echoed back, only its masked hint), switch on/off, put back in rotation, delete (confirmed). Cards, not a
table, so the page reads at 390 px."""

from __future__ import annotations

import reflex as rx

from chatai_app.components.i18n import t
from chatai_app.components.layout import app_shell, confirm, empty_state, page_header
from chatai_app.state.owner_keys import OwnerKeysState as K
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


def _number_input(name: str, value: str = "") -> rx.Component:
    return rx.input(
        name=name, default_value=value, input_mode="numeric", placeholder="—", id=f"okey-{name}", width="100%"
    )


def _add_form() -> rx.Component:
    return rx.card(
        rx.form(
            rx.vstack(
                rx.heading(t("keys.add"), size="3"),
                rx.grid(
                    _field("keys.provider", rx.input(name="provider", default_value="openai", id="okey-provider")),
                    _field(
                        "keys.base_url",
                        rx.input(name="base_url", placeholder="https://api.openai.com/v1", id="okey-base-url"),
                    ),
                    _field(
                        "keys.api_key",
                        rx.input(
                            name="api_key", type="password", required=True, id="okey-api-key", auto_complete="off"
                        ),
                    ),
                    _field("keys.models", rx.input(name="models", placeholder=t("keys.models_hint"), id="okey-models")),
                    _field("keys.priority", _number_input("priority", "100")),
                    *[_field(label, _number_input(name)) for name, label in LIMIT_FIELDS],
                    columns=rx.breakpoints(initial="1", sm="2", lg="3"),
                    spacing="3",
                    width="100%",
                ),
                rx.text(t("okeys.secret_hint"), " ", t("keys.limits_hint"), **SMALL),
                rx.button(t("keys.add"), type="submit", id="okey-add"),
                spacing="3",
                width="100%",
            ),
            on_submit=K.add_key,
            reset_on_submit=True,
        ),
        width="100%",
        flex_shrink="0",
    )


def _state_badge(key: rx.Var) -> rx.Component:
    reason = rx.cond(SessionState.lang == "ru", key["parked_ru"], key["parked_en"])
    return rx.vstack(
        rx.match(
            key["state"],
            ("healthy", rx.badge(t("keys.healthy"), color_scheme="green")),
            ("cooling_down", rx.badge(t("keys.cooling_down"), " ", key["cooldown_until"], color_scheme="amber")),
            ("parked", rx.badge(t("keys.parked"), color_scheme="red")),
            ("over_limit", rx.badge(t("okeys.over_limit"), color_scheme="orange")),
            rx.badge(t("keys.disabled"), color_scheme="gray"),
        ),
        rx.cond(key["state"] == "over_limit", rx.text(t("okeys.over_limit_hint"), **SMALL)),
        rx.cond(key["parked_en"] != "", rx.text(reason, size="1", color_scheme="red", class_name="okey-parked-reason")),
        rx.cond(
            (key["last_error"] != "") & (key["state"] != "parked"),
            rx.text(t("keys.last_error"), ": ", key["last_error"], **SMALL),
        ),
        spacing="1",
        align="start",
        width="100%",
    )


def _facts(key: rx.Var) -> rx.Component:
    limits = [
        rx.text(t(f"{label}_short"), ": ", rx.cond(key[name] != "", key[name], "—"), size="1", white_space="nowrap")
        for name, label in LIMIT_FIELDS
    ]
    return rx.flex(
        rx.text(t("keys.priority"), ": ", key["priority"], size="1", white_space="nowrap"),
        *limits,
        wrap="wrap",
        column_gap="1em",
        row_gap="0",
        width="100%",
    )


def _usage(key: rx.Var) -> rx.Component:
    return rx.text(
        t("keys.today"), ": ", rx.text.span(key["requests"], " ", t("keys.requests"), class_name="okey-requests"),
        " · ", key["tokens"], " ", t("keys.tokens"), " · ", key["errors"], " ", t("keys.errors"),
        " · ", t("keys.month"), ": ", key["month_tokens"], " ", t("keys.tokens"),
        **SMALL,
    )  # fmt: skip


def _actions(key: rx.Var) -> rx.Component:
    delete = confirm(
        rx.button(t("keys.delete"), size="1", variant="soft", color_scheme="red", class_name="okey-delete"),
        t("keys.delete"),
        rx.text(t("okeys.delete_confirm"), " ", key["hint"], "?"),
        t("keys.delete"),
        K.delete(key["id"]),
    )
    return rx.hstack(
        rx.cond(
            key["enabled"] == "yes",
            rx.button(
                t("okeys.disable"),
                size="1",
                variant="soft",
                color_scheme="gray",
                class_name="okey-disable",
                on_click=K.set_enabled(key["id"], False),
            ),
            rx.button(
                t("okeys.enable"),
                size="1",
                variant="soft",
                color_scheme="green",
                class_name="okey-enable",
                on_click=K.set_enabled(key["id"], True),
            ),
        ),
        rx.cond(
            (key["state"] == "parked") | (key["state"] == "cooling_down"),
            rx.button(
                t("keys.unpark"),
                size="1",
                variant="soft",
                color_scheme="green",
                class_name="okey-unpark",
                on_click=K.unpark(key["id"]),
            ),
        ),
        delete,
        wrap="wrap",
        spacing="2",
    )


def _key_card(key: rx.Var) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.flex(
                rx.text(
                    key["hint"],
                    weight="medium",
                    class_name="okey-hint",
                    font_family="monospace",
                    white_space="nowrap",
                    flex_shrink="0",
                ),
                _state_badge(key),
                direction=rx.breakpoints(initial="column", sm="row"),
                justify="between",
                spacing="3",
                width="100%",
            ),
            rx.text(
                key["provider"],
                " · ",
                rx.cond(key["base_url"] != "", key["base_url"], "OPENAI_BASE_URL"),
                **SMALL,
                word_break="break-all",
            ),
            rx.text(
                rx.cond(key["models"] != "", key["models"], t("keys.all_models")), size="1", word_break="break-word"
            ),
            _facts(key),
            _usage(key),
            _actions(key),
            spacing="2",
            width="100%",
        ),
        width="100%",
        flex_shrink="0",
        class_name="own-key",
        custom_attrs={"data-hint": key["hint"], "data-state": key["state"]},
    )


def owner_keys_page() -> rx.Component:
    return app_shell(
        page_header(t("okeys.title"), heading_id="keys-heading"),
        rx.cond(
            K.denied != "",
            rx.callout(K.denied, icon="lock", color_scheme="red", id="no-access"),
            rx.vstack(
                rx.text(t("okeys.intro"), size="2", color_scheme="gray"),
                rx.callout(t("okeys.fallback"), icon="info", size="1", id="okeys-fallback", width="100%"),
                _add_form(),
                rx.cond(
                    K.keys.length() > 0,  # type: ignore[attr-defined]
                    rx.vstack(rx.foreach(K.keys, _key_card), spacing="3", width="100%", id="own-keys"),
                    rx.cond(K.loaded, empty_state("key-round", t("okeys.none"))),
                ),
                spacing="4",
                width="100%",
            ),
        ),
        active="own_keys",
    )


def register(app: rx.App) -> None:
    app.add_page(owner_keys_page, route="/keys", title="AI keys · ChatAI", on_load=[SessionState.guard, K.load])
