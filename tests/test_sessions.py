"""Browser sessions: resolved on the backend from an opaque token, revocable."""

from __future__ import annotations

import pytest

from chatai_app.services import accounts, auth_sessions
from chatai_app.services.errors import AuthenticationRequired


async def test_web_session_resolves_until_revoked(session) -> None:
    context = await accounts.sign_up(session=session, email="web@example.com", password="web password")
    opened = await auth_sessions.open_session(session=session, context=context, kind="web", ttl_s=60)
    resolved = await auth_sessions.resolve_session(session=session, token=opened.token, kind="web")
    assert (resolved.user_id, resolved.tenant_id) == (context.user_id, context.tenant_id)
    with pytest.raises(AuthenticationRequired):  # a web token is not an API refresh token
        await auth_sessions.resolve_session(session=session, token=opened.token, kind="api")
    await auth_sessions.revoke_session(session=session, token=opened.token, kind="web")
    with pytest.raises(AuthenticationRequired):
        await auth_sessions.resolve_session(session=session, token=opened.token, kind="web")


async def test_expired_session_is_refused(session) -> None:
    context = await accounts.sign_up(session=session, email="old@example.com", password="web password")
    opened = await auth_sessions.open_session(session=session, context=context, kind="web", ttl_s=-1)
    with pytest.raises(AuthenticationRequired):
        await auth_sessions.resolve_session(session=session, token=opened.token, kind="web")
