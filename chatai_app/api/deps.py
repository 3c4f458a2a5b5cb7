"""FastAPI dependencies: database session, client info, the authenticated context."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlmodel.ext.asyncio.session import AsyncSession

from chatai_app.db import session_scope
from chatai_app.services.accounts import AuthContext, load_context
from chatai_app.services.auth import ClientInfo
from chatai_app.services.auth_sessions import session_is_live
from chatai_app.services.errors import AuthenticationRequired
from chatai_app.services.tokens import decode_access_token
from chatai_app.settings import get_settings

bearer = HTTPBearer(auto_error=False)


async def db_session() -> AsyncIterator[AsyncSession]:
    async with session_scope() as session:
        yield session


def client_info(request: Request) -> ClientInfo:
    host = request.client.host if request.client else ""
    return ClientInfo(ip=host, user_agent=request.headers.get("user-agent", ""))


async def current_context(
    session: Annotated[AsyncSession, Depends(db_session)],
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> AuthContext:
    if credentials is None:
        raise AuthenticationRequired("Send an access token as `Authorization: Bearer <token>`")
    claims = decode_access_token(credentials.credentials, secret_key=get_settings().secret_key)
    if not await session_is_live(session=session, session_id=claims.session_id):
        raise AuthenticationRequired("This login was signed out")
    return await load_context(session=session, user_id=claims.user_id, tenant_id=claims.tenant_id)


DbSession = Annotated[AsyncSession, Depends(db_session)]
Client = Annotated[ClientInfo, Depends(client_info)]
CurrentContext = Annotated[AuthContext, Depends(current_context)]
