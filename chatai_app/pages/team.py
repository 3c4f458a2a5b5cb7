"""/team (members, roles, invitations) and /accept-invite (the e-mailed link) — issue 14."""

from __future__ import annotations

import reflex as rx

from chatai_app.components.i18n import t
from chatai_app.components.layout import app_shell, auth_card, confirm, empty_state, field, field_error, page_header
from chatai_app.state.session import SessionState
from chatai_app.state.team import AcceptInviteState as A
from chatai_app.state.team import TeamState as T

ROLES = ("owner", "admin", "operator")


def role_label(role: rx.Var) -> rx.Component:
    return rx.match(role, *[(r, t(f"role.{r}")) for r in ROLES], role)


def _role_cell(member: rx.Var) -> rx.Component:
    """The role, and for the owner a switch between admin and operator (plain buttons: no closures over the row)."""
    switch = rx.cond(
        member["role"] == "operator",
        rx.button(
            t("team.make_admin"),
            size="1",
            variant="ghost",
            on_click=T.change_role(member["user_id"], "admin"),
            class_name="member-make-admin",
        ),
        rx.button(
            t("team.make_operator"),
            size="1",
            variant="ghost",
            on_click=T.change_role(member["user_id"], "operator"),
            class_name="member-make-operator",
        ),
    )
    return rx.hstack(
        rx.badge(
            role_label(member["role"]),
            color_scheme=rx.cond(member["role"] == "owner", "violet", "gray"),
            class_name="member-role",
        ),
        rx.cond((member["manageable"] == "yes") & (T.my_role == "owner"), switch),
        align="center",
    )


def _scope_cell(member: rx.Var) -> rx.Component:
    """An operator's assistants ("All" or "2 of 5"), a button for who may change it; others see every one."""
    label = rx.cond(
        member["scope"] == "all",
        t("team.assistants_all"),
        rx.text.span(member["scope_count"], " ", t("team.assistants_of"), " ", T.assistants.length()),  # type: ignore[attr-defined]
    )
    return rx.cond(
        member["role"] == "operator",
        rx.cond(
            member["manageable"] == "yes",
            rx.button(
                rx.icon("bot", size=14),
                label,
                size="1",
                variant="soft",
                class_name="member-assistants",
                on_click=T.open_assign(member["user_id"]),
            ),
            rx.text(label, size="2", class_name="member-assistants-shown"),
        ),
        rx.text(t("team.assistants_all"), size="2", color_scheme="gray"),
    )


def _assign_dialog() -> rx.Component:
    """The operator's assistants: every one (the default, new ones included) or only those ticked."""
    choice = rx.radio_group.root(
        rx.vstack(
            rx.radio_group.item(t("team.assistants_every"), value="all", id="assign-all"),
            rx.radio_group.item(t("team.assistants_only"), value="some", id="assign-some"),
            spacing="2",
        ),
        value=rx.cond(T.assign_all, "all", "some"),
        on_change=T.set_assign_all,
    )
    ticks = rx.cond(
        T.assistants.length() > 0,  # type: ignore[attr-defined]
        rx.vstack(
            rx.foreach(
                T.assistants,
                lambda a: rx.checkbox(
                    a["name"],
                    checked=T.assign_picked.contains(a["id"]),  # type: ignore[attr-defined]
                    on_change=lambda checked: T.toggle_assign(a["id"], checked),
                    class_name="assign-assistant",
                    custom_attrs={"data-name": a["name"]},
                ),
            ),
            spacing="2",
            padding_left="1.5em",
            max_height="40vh",
            overflow_y="auto",
        ),
        rx.text(t("team.assistants_none"), size="2", color_scheme="gray"),
    )
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title(t("team.assistants_title")),
            rx.dialog.description(rx.text.span(T.assign_email, weight="bold"), size="2"),
            rx.vstack(
                rx.text(t("team.assistants_hint"), size="2", color_scheme="gray"),
                choice,
                rx.cond(~T.assign_all, ticks),
                field_error(T.field_errors.get("assistants", ""), id="assign-error"),
                rx.hstack(
                    rx.dialog.close(rx.button(t("cancel"), variant="soft", color_scheme="gray")),
                    rx.button(t("save"), on_click=T.save_assign, id="assign-save"),
                    justify="end",
                    width="100%",
                ),
                spacing="3",
                width="100%",
            ),
            max_width="min(480px, 94vw)",
            id="assign-dialog",
        ),
        open=T.assign_user != "",
        on_open_change=T.assign_open_change,
    )


def _member_row(member: rx.Var) -> rx.Component:
    remove = confirm(
        rx.icon_button(
            rx.icon("user-minus", size=14),
            variant="ghost",
            color_scheme="red",
            size="1",
            class_name="member-remove",
            aria_label="Remove",
        ),
        t("team.remove_title"),
        rx.text(t("team.remove_body"), " ", rx.text.span(member["email"], weight="bold")),
        t("team.remove"),
        T.remove(member["user_id"]),
        confirm_id="member-remove-confirm",
    )
    return rx.table.row(
        rx.table.cell(
            rx.text(member["email"], weight="medium"), rx.text(member["name"], size="1", color_scheme="gray")
        ),
        rx.table.cell(_role_cell(member)),
        rx.table.cell(_scope_cell(member)),
        rx.table.cell(rx.cond(member["two_factor"] == "yes", rx.badge("2FA", color_scheme="green"), rx.text("—"))),
        rx.table.cell(member["last_login"], size="1"),
        rx.table.cell(rx.cond(member["manageable"] == "yes", remove)),
        class_name="member-row",
        custom_attrs={"data-email": member["email"], "data-role": member["role"]},
    )


def _invite_row(invite: rx.Var) -> rx.Component:
    revoke = confirm(
        rx.button(t("team.revoke"), size="1", variant="soft", color_scheme="red", class_name="invite-revoke"),
        t("team.revoke_title"),
        rx.text(t("team.revoke_body"), " ", rx.text.span(invite["email"], weight="bold")),
        t("team.revoke"),
        T.revoke(invite["id"]),
        confirm_id="invite-revoke-confirm",
    )
    return rx.table.row(
        rx.table.cell(invite["email"]),
        rx.table.cell(role_label(invite["role"])),
        rx.table.cell(invite["sent"], " (", invite["count"], ")", size="1"),
        rx.table.cell(
            rx.cond(
                invite["expired"] == "yes",
                rx.badge(t("team.expired"), color_scheme="orange"),
                rx.text(invite["expires"], size="1"),
            )
        ),
        rx.table.cell(
            rx.cond(
                invite["manageable"] == "yes",
                rx.hstack(
                    rx.button(
                        t("team.resend"),
                        size="1",
                        variant="soft",
                        on_click=T.resend(invite["id"]),
                        class_name="invite-resend",
                    ),
                    revoke,
                    spacing="2",
                ),
            )
        ),
        class_name="invite-row",
        custom_attrs={"data-email": invite["email"]},
    )


def _invite_form() -> rx.Component:
    return rx.form(
        rx.hstack(
            rx.box(
                rx.input(
                    name="email",
                    id="invite-email",
                    type="email",
                    placeholder="name@example.com",
                    size="2",
                    required=True,
                    width="18em",
                ),
                field_error(T.field_errors.get("email", ""), id="invite-email-error"),
            ),
            rx.select.root(
                rx.select.trigger(id="invite-role"),
                rx.select.content(
                    rx.cond(T.my_role == "owner", rx.select.item(t("role.admin"), value="admin")),
                    rx.select.item(t("role.operator"), value="operator"),
                ),
                value=T.invite_role,
                on_change=T.set_invite_role,
            ),
            rx.button(rx.icon("send", size=14), t("team.invite"), type="submit", id="invite-submit"),
            spacing="2",
            align="start",
            wrap="wrap",
        ),
        field_error(T.field_errors.get("role", "")),
        on_submit=T.invite,
        reset_on_submit=True,
    )


def _table(headers: list[str], rows: rx.Component, **props) -> rx.Component:
    return rx.table.root(
        rx.table.header(rx.table.row(*[rx.table.column_header_cell(t(h)) for h in headers])),
        rx.table.body(rows),
        width="100%",
        **props,
    )


def team_page() -> rx.Component:
    return app_shell(
        page_header(t("team"), heading_id="team-heading"),
        rx.cond(
            T.denied != "",
            rx.callout(T.denied, icon="lock", color_scheme="red", id="no-access"),
            rx.vstack(
                rx.card(
                    rx.heading(t("team.invite_title"), size="3"),
                    rx.text(t("team.invite_hint"), size="2", color_scheme="gray"),
                    _invite_form(),
                    width="100%",
                ),
                rx.heading(t("team.members"), size="4"),
                _table(
                    ["email", "role", "team.assistants", "sec.two_factor", "team.last_login", "actions"],
                    rx.foreach(T.members, _member_row),
                    id="members",
                ),
                _assign_dialog(),
                rx.heading(t("team.pending"), size="4"),
                rx.cond(
                    T.invites.length() > 0,  # type: ignore[attr-defined]
                    _table(
                        ["email", "role", "team.sent", "team.expires", "actions"],
                        rx.foreach(T.invites, _invite_row),
                        id="invites",
                    ),
                    empty_state("mail", t("team.no_invites")),
                ),
                spacing="4",
                width="100%",
            ),
        ),
        active="team",
    )


def _accept_form() -> rx.Component:
    errors = A.field_errors
    return rx.form(
        rx.vstack(
            rx.text(t("email"), ": ", rx.text.span(A.email, weight="bold", id="invite-email-shown"), size="2"),
            rx.cond(
                A.has_account,
                rx.text(t("team.existing_account"), size="2", color_scheme="gray"),
                field(t("full_name"), "full_name", error=errors.get("full_name", "")),
            ),
            field(
                rx.cond(A.has_account, t("password"), t("team.choose_password")),
                "password",
                error=errors.get("password", ""),
                type_="password",
                auto_complete=rx.cond(A.has_account, "current-password", "new-password"),
            ),
            rx.cond(
                A.has_account,
                field(t("sec.code_if_on"), "code", error=errors.get("code", ""), auto_complete="one-time-code"),
            ),
            rx.cond(
                A.error != "",
                rx.callout(A.error, icon="triangle-alert", color_scheme="red", id="accept-error", width="100%"),
            ),
            rx.button(t("team.join"), type="submit", loading=A.submitting, size="3", width="100%", id="accept-submit"),
            spacing="3",
            width="100%",
        ),
        on_submit=A.accept,
        reset_on_submit=False,
        width="100%",
    )


def accept_page() -> rx.Component:
    return auth_card(
        t("team.join_title"),
        rx.cond(
            A.invalid != "",
            rx.vstack(
                rx.callout(A.invalid, icon="link-2-off", color_scheme="red", id="invite-invalid"),
                rx.link(t("sign_in"), href="/login"),
            ),
            rx.vstack(
                rx.text(
                    rx.text.span(A.inviter, weight="bold"),
                    " ",
                    t("team.invites_you"),
                    " ",
                    rx.text.span(A.workspace, weight="bold", id="invite-workspace"),
                    " (",
                    role_label(A.role),
                    ")",
                    size="2",
                ),
                _accept_form(),
                width="100%",
            ),
        ),
    )


def register(app: rx.App) -> None:
    app.add_page(team_page, route="/team", title="Team · ChatAI", on_load=[SessionState.guard, T.load])
    app.add_page(accept_page, route="/accept-invite", title="Invitation · ChatAI", on_load=A.load)
