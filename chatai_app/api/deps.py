"""FastAPI dependencies: database session, client info, the authenticated context and its role rule."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlmodel.ext.asyncio.session import AsyncSession

from chatai_app.db import session_scope
from chatai_app.services import permissions
from chatai_app.services.accounts import AuthContext
from chatai_app.services.auth import ClientInfo
from chatai_app.services.auth_sessions import context_for_access
from chatai_app.services.errors import AuthenticationRequired
from chatai_app.services.permissions import Permission
from chatai_app.services.tokens import decode_access_token
from chatai_app.settings import get_settings

bearer = HTTPBearer(auto_error=False)


async def db_session() -> AsyncIterator[AsyncSession]:
    """A session for the route; with `scope="function"` it commits before the response goes out."""
    async with session_scope() as session:
        yield session


def client_info(request: Request) -> ClientInfo:
    host = request.client.host if request.client else ""
    return ClientInfo(ip=host, user_agent=request.headers.get("user-agent", ""))


async def current_context(
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> AuthContext:
    """Resolve the token on a short session of its own: no pooled connection is held across the route's work."""
    if credentials is None:
        raise AuthenticationRequired("Send an access token as `Authorization: Bearer <token>`")
    claims = decode_access_token(credentials.credentials, secret_key=get_settings().secret_key)
    async with session_scope() as session:
        return await context_for_access(session=session, claims=claims)


def allowed(permission: Permission) -> Any:
    """The signed-in context, refused (403) unless its role grants `permission` (services/permissions.py)."""

    async def checked(context: Annotated[AuthContext, Depends(current_context)]) -> AuthContext:
        permissions.require(context, permission)
        return context

    checked.permission = permission  # type: ignore[attr-defined]  # read by the route-registry test
    return Depends(checked)


def public(reason: str) -> Any:
    """Marks a route that needs no login, with why (the route-registry test requires a rule on every route):
    `@router.get(..., dependencies=[public("...")])`."""

    def mark() -> None:
        return None

    mark.public_reason = reason  # type: ignore[attr-defined]
    return Depends(mark)


DbSession = Annotated[AsyncSession, Depends(db_session, scope="function")]
Client = Annotated[ClientInfo, Depends(client_info)]
CurrentContext = Annotated[AuthContext, allowed(Permission.profile)]
DialogsUser = Annotated[AuthContext, allowed(Permission.dialogs)]
AssistantsReader = Annotated[AuthContext, allowed(Permission.assistants_read)]
AssistantsManager = Annotated[AuthContext, allowed(Permission.assistants_manage)]
BillingReader = Annotated[AuthContext, allowed(Permission.billing_read)]
BillingManager = Annotated[AuthContext, allowed(Permission.billing_manage)]
KeysOwner = Annotated[AuthContext, allowed(Permission.provider_keys)]
PlatformAdmin = Annotated[AuthContext, allowed(Permission.platform_admin)]
TeamManager = Annotated[AuthContext, allowed(Permission.team_manage)]  # issue 14: invitations, roles, removal
