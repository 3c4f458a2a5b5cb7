"""Page shells: the signed-in app frame (sidebar with sections and counters, a phone top bar with a menu, the
user menu with language and presence) and the centred auth card; small shared pieces of the design system.

The design rules (spacing, type scale, breakpoints) live in assets/chatai.css; pages use its classes:
`page` (content column), `grid-2`/`grid-3` (columns that stack on phones), `empty-state`, `field-error`.
Errors follow one rule: a field's problem is shown under the field (`field_error`); anything else is a toast."""

from __future__ import annotations

import reflex as rx

from chatai_app.components.i18n import t
from chatai_app.state.session import SessionState

PHONE_MAX_PX = 767


def language_switch() -> rx.Component:
    return rx.segmented_control.root(
        rx.segmented_control.item("EN", value="en"),
        rx.segmented_control.item("RU", value="ru"),
        value=SessionState.lang,
        on_change=SessionState.set_lang,
        size="1",
        id="language-switch",
    )


def presence_switch() -> rx.Component:
    return rx.segmented_control.root(
        rx.segmented_control.item(t("presence.online"), value="online"),
        rx.segmented_control.item(t("presence.away"), value="away"),
        value=SessionState.presence,
        on_change=SessionState.set_presence,
        size="1",
        id="presence-switch",
    )


# (key, route, icon, who sees it: "all" | "manager" | "owner" | "admin")
SECTIONS: list[tuple[str, list[tuple[str, str, str, str]]]] = [
    ("nav_conversations", [("inbox", "/inbox", "inbox", "all"), ("dialogs", "/dialogs", "messages-square", "all")]),
    ("nav_build", [("dashboard", "/", "layout-dashboard", "manager"), ("assistants", "/assistants", "bot", "manager")]),
    (
        "nav_account",
        [
            ("billing", "/billing", "wallet", "manager"),
            ("admin_billing", "/admin/billing", "shield", "admin"),
            ("profile", "/profile", "user", "all"),
        ],
    ),
]


# Issue 14 (team, knowledge gaps, account security, the platform admins' console): appended to the sections above.
ISSUE_14_NAV = {
    "nav_build": [
        ("knowledge_gaps", "/knowledge-gaps", "circle-help", "manager"),
        ("team", "/team", "users", "manager"),
        ("analytics", "/analytics", "chart-column", "manager"),
    ],
    "nav_account": [
        ("own_keys", "/keys", "key-round", "owner"),  # the workspace owner's own AI keys (Permission.provider_keys)
        ("security", "/security", "lock", "all"),
        ("admin_console", "/admin", "shield-check", "admin"),
    ],
}
for _section, _items in SECTIONS:
    _items.extend(e for e in ISSUE_14_NAV.get(_section, []) if e[0] not in {key for key, *_ in _items})


def _visible(who: str, item: rx.Component) -> rx.Component:
    if who == "manager":
        return rx.cond(SessionState.can_manage, item)
    if who == "admin":
        return rx.cond(SessionState.is_admin, item)
    if who == "owner":  # display only, like the others: the page's state checks the role matrix
        return rx.cond(SessionState.role == "owner", item)
    return item


def _nav_item(key: str, href: str, icon: str, active: str) -> rx.Component:
    current = key == active
    counter = (
        rx.cond(
            SessionState.waiting_count > 0,
            rx.badge(
                SessionState.waiting_count,
                color_scheme="orange",
                variant="solid",
                radius="full",
                class_name="nav-count",
                id="nav-waiting-count",
            ),
        )
        if key == "inbox"
        else rx.fragment()
    )
    return rx.link(
        rx.icon(icon, size=16),
        rx.text(t(key), as_="span", flex="1"),
        counter,
        href=href,
        underline="none",
        class_name="nav-item",
        custom_attrs={"aria-current": "page" if current else "false", "data-nav": key},
    )


def _nav(active: str) -> rx.Component:
    parts: list[rx.Component] = []
    for section, items in SECTIONS:
        links = [_visible(who, _nav_item(key, href, icon, active)) for key, href, icon, who in items]
        if all(who == "manager" for *_, who in items):
            parts.append(rx.cond(SessionState.can_manage, rx.text(t(section), class_name="nav-section")))
        else:
            parts.append(rx.text(t(section), class_name="nav-section"))
        parts.extend(links)
    return rx.el.nav(*parts, class_name="nav")


def user_menu() -> rx.Component:
    return rx.popover.root(
        rx.popover.trigger(
            rx.button(
                rx.avatar(fallback=SessionState.initials, size="1", radius="full"),
                rx.box(
                    rx.text(SessionState.user_name, size="2", weight="medium", class_name="ellipsis"),
                    rx.text(
                        SessionState.user_email,
                        size="1",
                        color_scheme="gray",
                        class_name="ellipsis",
                        id="nav-user-email",
                    ),
                    class_name="user-menu-text",
                ),
                variant="ghost",
                color_scheme="gray",
                class_name="user-menu-trigger",
                id="user-menu",
            )
        ),
        rx.popover.content(
            rx.vstack(
                rx.text(SessionState.user_email, size="2", weight="medium"),
                rx.text(
                    t("role"),
                    ": ",
                    rx.match(
                        SessionState.role,
                        *[(r, t(f"role.{r}")) for r in ("owner", "admin", "operator")],
                        SessionState.role,
                    ),
                    size="1",
                    color_scheme="gray",
                    id="user-role",
                ),
                rx.separator(size="4"),
                rx.text(t("language"), size="1", color_scheme="gray"),
                language_switch(),
                rx.text(t("presence"), size="1", color_scheme="gray"),
                presence_switch(),
                rx.separator(size="4"),
                rx.button(
                    t("sign_out"), on_click=SessionState.sign_out, variant="soft", size="2", width="100%", id="sign-out"
                ),
                spacing="2",
                align="start",
                min_width="14em",
            ),
            side="top",
            align="start",
        ),
    )


def _brand() -> rx.Component:
    return rx.hstack(
        rx.icon("bot-message-square", size=22, color="var(--accent-9)"),
        rx.box(
            rx.text("ChatAI", weight="bold", size="3"),
            rx.text(
                SessionState.tenant_name, size="1", color_scheme="gray", class_name="ellipsis", id="workspace-name"
            ),
            min_width="0",
        ),
        align="center",
        spacing="2",
        class_name="brand",
    )


def sidebar(active: str) -> rx.Component:
    return rx.el.aside(
        _brand(),
        _nav(active),
        rx.box(flex="1"),
        rx.link(
            t("api_docs_short"), href="/docs", is_external=True, size="1", color_scheme="gray", class_name="nav-docs"
        ),
        user_menu(),
        class_name="sidebar",
    )


def _phone_menu(active: str) -> rx.Component:
    items: list[rx.Component] = []
    for _, entries in SECTIONS:
        for key, href, icon, who in entries:
            items.append(
                _visible(
                    who,
                    rx.menu.item(
                        rx.icon(icon, size=14),
                        t(key),
                        rx.cond(
                            key == "inbox",
                            rx.cond(
                                SessionState.waiting_count > 0,
                                rx.badge(SessionState.waiting_count, color_scheme="orange", variant="solid"),
                            ),
                            rx.fragment(),
                        ),
                        on_click=rx.redirect(href),
                        class_name="phone-nav-item",
                        custom_attrs={"data-nav": key, "aria-current": "page" if key == active else "false"},
                    ),
                )
            )
    return rx.menu.root(
        rx.menu.trigger(rx.icon_button(rx.icon("menu"), variant="ghost", size="3", id="phone-menu", aria_label="Menu")),
        rx.menu.content(*items, rx.menu.separator(), rx.menu.item(t("sign_out"), on_click=SessionState.sign_out)),
    )


def topbar(active: str) -> rx.Component:
    return rx.el.header(
        _phone_menu(active),
        _brand(),
        rx.box(flex="1"),
        rx.cond(
            SessionState.waiting_count > 0,
            rx.link(
                rx.badge(rx.icon("inbox", size=12), SessionState.waiting_count, color_scheme="orange", variant="solid"),
                href="/inbox",
            ),
        ),
        language_switch(),
        class_name="topbar",
    )


def app_shell(*children: rx.Component, active: str = "", wide: bool = False) -> rx.Component:
    """The signed-in frame. `active` is the navigation key of the page; `wide` pages (the inbox) get the whole
    area without the content column's padding."""
    return rx.box(
        sidebar(active),
        rx.box(
            topbar(active),
            rx.el.main(*children, class_name="page-wide" if wide else "page"),
            class_name="main",
        ),
        class_name="shell",
    )


def page_header(title: rx.Component | rx.Var | str, *actions: rx.Component, heading_id: str = "") -> rx.Component:
    props = {"id": heading_id} if heading_id else {}
    return rx.box(
        rx.heading(title, size="6", class_name="page-title", **props),
        rx.box(*actions, class_name="page-actions"),
        class_name="page-header",
    )


def empty_state(icon: str, text: rx.Var, *action: rx.Component, **props) -> rx.Component:
    return rx.box(
        rx.icon(icon, size=28, color="var(--gray-9)"),
        rx.text(text, size="2", color_scheme="gray", align="center"),
        *action,
        class_name="empty-state",
        **props,
    )


def field_error(message: rx.Var, **props) -> rx.Component:
    return rx.cond(message != "", rx.text(message, size="1", color_scheme="red", class_name="field-error", **props))


def confirm(
    trigger: rx.Component,
    title: rx.Var,
    body: rx.Component,
    action_label: rx.Var,
    on_confirm,
    *,
    danger: bool = True,
    confirm_id: str = "",
) -> rx.Component:
    """A confirmation dialog in front of a destructive or paid action."""
    props = {"id": confirm_id} if confirm_id else {}
    return rx.alert_dialog.root(
        rx.alert_dialog.trigger(trigger),
        rx.alert_dialog.content(
            rx.alert_dialog.title(title),
            rx.alert_dialog.description(body, size="2"),
            rx.flex(
                rx.alert_dialog.cancel(rx.button(t("cancel"), variant="soft", color_scheme="gray")),
                rx.alert_dialog.action(
                    rx.button(
                        action_label,
                        color_scheme="red" if danger else "green",
                        on_click=on_confirm,
                        class_name="confirm-action",
                        **props,
                    )
                ),
                spacing="3",
                justify="end",
                margin_top="1em",
            ),
            max_width="28em",
        ),
    )


def auth_card(title: rx.Var, *children: rx.Component) -> rx.Component:
    return rx.center(
        rx.card(
            rx.vstack(
                rx.hstack(rx.icon("bot-message-square", size=28), rx.heading("ChatAI", size="6"), align="center"),
                rx.text(t("tagline"), size="2", color_scheme="gray"),
                rx.heading(title, size="5", margin_top="0.5em"),
                *children,
                spacing="3",
                width="100%",
            ),
            size="4",
            width="100%",
            max_width="26em",
        ),
        rx.box(language_switch(), position="absolute", top="1em", right="1em"),
        min_height="100vh",
        padding="1em",
    )


def field(label: rx.Var, name: str, *, error: rx.Var, type_: str = "text", **props) -> rx.Component:
    return rx.vstack(
        rx.text(label, as_="label", size="2", weight="medium", html_for=name),
        rx.input(name=name, id=name, type=type_, width="100%", size="3", **props),
        rx.cond(
            error != "", rx.text(error, size="1", color_scheme="red", id=f"{name}-error", class_name="field-error")
        ),
        spacing="1",
        width="100%",
    )
