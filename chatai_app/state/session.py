"""The signed-in identity: resolved on the backend from an opaque session cookie."""

from __future__ import annotations

import uuid

import reflex as rx

from chatai_app.db import session_scope
from chatai_app.i18n import translate_message
from chatai_app.models import Assistant
from chatai_app.services import events, inbox, permissions, presence
from chatai_app.services.accounts import AuthContext
from chatai_app.services.assistants import get_assistant
from chatai_app.services.auth import ClientInfo
from chatai_app.services.auth_sessions import resolve_session, revoke_session
from chatai_app.services.errors import AuthenticationRequired, DomainError, PermissionDenied, ValidationFailed
from chatai_app.services.permissions import Permission
from chatai_app.state.routing import id_after

SESSION_COOKIE_MAX_AGE = 30 * 24 * 3600


class SessionState(rx.State):
    """Who is signed in. The user and tenant ids live only in backend (`_`) vars."""

    session_token: str = rx.Cookie("", name="chatai_session", max_age=SESSION_COOKIE_MAX_AGE, same_site="strict")
    lang: str = rx.LocalStorage("en", name="chatai_lang", sync=True)

    # Display-only copies for the UI; authorization never reads them.
    user_email: str = ""
    user_name: str = ""
    tenant_name: str = ""
    role: str = ""
    is_admin: bool = False
    waiting_count: int = 0  # the inbox queue, shown in the sidebar
    presence: str = "online"

    _user_id: uuid.UUID | None = None
    _tenant_id: uuid.UUID | None = None

    @rx.var
    def signed_in(self) -> bool:
        return bool(self.user_email)

    @rx.var
    def can_manage(self) -> bool:
        """Display only: assistants and billing in the navigation (states check the role matrix themselves)."""
        return permissions.allows(self.role, Permission.assistants_manage, platform_admin=self.is_admin)

    @rx.var
    def initials(self) -> str:
        source = (self.user_name or self.user_email or "?").strip()
        return "".join(part[0] for part in source.split()[:2]).upper() or "?"

    def client_info(self) -> ClientInfo:
        return ClientInfo(ip=self.router.session.client_ip, user_agent=self.router.headers.user_agent)

    def message(self, error: DomainError | str) -> str:
        text = error.message if isinstance(error, DomainError) else error
        return translate_message(text, self.lang)

    def field_messages(self, error: ValidationFailed) -> dict[str, str]:
        """A form's field errors in the interface language."""
        return {field: self.message(text) for field, text in error.fields.items()}

    def remember(self, token: str, context: AuthContext) -> None:
        self.session_token = token
        self._apply(context)

    def _apply(self, context: AuthContext) -> None:
        self._user_id, self._tenant_id = context.user_id, context.tenant_id
        self.user_email, self.user_name = context.email, context.full_name
        self.tenant_name, self.role, self.is_admin = context.tenant_name, context.role, context.is_admin
        if context.locale in ("en", "ru") and not self.lang:
            self.lang = context.locale

    def _forget(self) -> None:
        self.session_token = ""
        self._user_id = self._tenant_id = None
        self.user_email = self.user_name = self.tenant_name = self.role = ""
        self.is_admin = False

    async def require_context(self) -> AuthContext:
        """Re-check the session against the database; every protected handler calls this."""
        if not self.session_token:
            raise AuthenticationRequired()
        context = await context_of(self.session_token)
        if self._user_id is not None and (context.user_id, context.tenant_id) != (self._user_id, self._tenant_id):
            raise PermissionDenied("Session changed; please reload")
        self._apply(context)
        return context

    @rx.event
    async def guard(self):
        """on_load of protected pages: send anonymous visitors to the login page."""
        try:
            context = await self.require_context()
        except DomainError:
            self._forget()
            return rx.redirect("/login")
        async with session_scope() as session:
            self.waiting_count = (
                await inbox.counts(
                    session=session,
                    tenant_id=context.tenant_id,
                    operator_id=context.user_id,
                    assistants=context.assistants,
                )
            )["queue"]
        return None

    @rx.event
    async def set_presence(self, status: str | list[str]):
        """The user menu's presence switch (online / away), also kept fresh by the inbox's heartbeat."""
        self.presence = status if status in ("online", "away") else "online"
        try:
            context = await self.require_context()
        except DomainError:
            return None
        async with session_scope() as session:
            changed = await presence.heartbeat(
                session=session, tenant_id=context.tenant_id, user_id=context.user_id, status=self.presence
            )
        if changed:
            await events.publish("presence.changed", context.tenant_id, user_id=context.user_id)
        return None

    @rx.event
    async def home(self):
        """on_load of the dashboard: signed-out visitors see the landing page; operators, who work only the inbox,
        start there."""
        if not self.session_token:
            return rx.redirect("/welcome")
        if (redirect := await self.guard()) is not None:
            return redirect
        if not permissions.allows(self.role, Permission.assistants_read, platform_admin=self.is_admin):
            return rx.redirect("/inbox")
        return None

    @rx.event
    async def redirect_if_signed_in(self):
        if not self.session_token:
            return None
        try:
            await self.require_context()
        except DomainError:
            self._forget()
            return None
        return rx.redirect("/")

    @rx.event
    async def sign_out(self):
        if self.session_token:
            async with session_scope() as session:
                await revoke_session(session=session, token=self.session_token, kind="web")
        self._forget()
        return rx.redirect("/login")

    @rx.event
    def set_lang(self, lang: str | list[str]) -> None:
        if isinstance(lang, str) and lang in ("en", "ru"):
            self.lang = lang


async def context_of(token: str, permission: Permission | None = None) -> AuthContext:
    """The signed-in user and tenant behind a web session token (background tasks read the token, then this),
    refused unless the role grants `permission`."""
    async with session_scope() as session:
        context = await resolve_session(session=session, token=token, kind="web")
    if permission is not None:
        permissions.require(context, permission)
    return context


def rule_of(state: rx.State | type[rx.State]) -> Permission:
    """The role rule a console state declares (`required_permission`); a state without one is refused."""
    rule = getattr(state, "required_permission", None)
    if not isinstance(rule, Permission):
        raise PermissionDenied(f"{getattr(state, '__name__', type(state).__name__)} declares no role rule")
    return rule


async def signed_in(state: rx.State, also: Permission | None = None) -> tuple[SessionState, AuthContext]:
    """The caller's SessionState and its freshly re-checked context, allowed by the state's role rule and, for
    stricter handlers, by `also` (raises DomainError if signed out or not allowed)."""
    session_state = await state.get_state(SessionState)
    context = await session_state.require_context()
    permissions.require(context, rule_of(state))
    if also is not None:
        permissions.require(context, also)
    return session_state, context


async def assistant_in_route(state: rx.State) -> Assistant:
    """The assistant named by the page's /assistants/<id>/... route, if it is in the signed-in tenant."""
    _, context = await signed_in(state)
    async with session_scope() as session:
        return await get_assistant(
            session=session, tenant_id=context.tenant_id, assistant_id=id_after(state.router.url.path, "assistants")
        )
