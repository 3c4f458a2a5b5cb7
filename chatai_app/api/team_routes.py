"""JSON API of issue 14 for workspaces and accounts: the team (members, invitations), accepting an invitation,
password reset, e-mail verification, two-factor sign-in and set-up, and one's own sessions."""

from __future__ import annotations

import uuid
from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from fastapi.security import HTTPAuthorizationCredentials
from pydantic import BaseModel, Field

from chatai_app.api.auth_routes import TokensOut, _tokens
from chatai_app.api.deps import Client, CurrentContext, DbSession, TeamManager, bearer, public
from chatai_app.services import account_links, auth, auth_sessions, team, two_factor
from chatai_app.services.tokens import decode_access_token
from chatai_app.settings import get_settings

router = APIRouter(prefix="/api/v1", tags=["team and security"])
PUBLIC_LINK = public("opened from an e-mailed one-time link; the signed token is the credential")
PUBLIC_2FA = public("the second sign-in step; the signed challenge from /auth/login names the user")
PUBLIC_RESET = public("asking for a reset link needs no session; the answer is the same for every address")


class InviteIn(BaseModel):
    email: str = Field(max_length=254)
    role: str = Field(default="operator", max_length=16)
    lang: str | None = Field(default=None, max_length=2, description="the e-mail's language (en/ru)")


class RoleIn(BaseModel):
    role: str = Field(max_length=16)


class LangIn(BaseModel):
    lang: str | None = Field(default=None, max_length=2)


class AcceptIn(BaseModel):
    token: str = Field(max_length=600)
    password: str = Field(max_length=1024)
    full_name: str = Field(default="", max_length=1024)
    code: str = Field(default="", max_length=32, description="two-factor code of an existing account, when on")
    locale: str = Field(default="en", max_length=2)


class TokenIn(BaseModel):
    token: str = Field(max_length=600)


class ResetRequestIn(BaseModel):
    email: str = Field(max_length=254)
    lang: str | None = Field(default=None, max_length=2)


class ResetConfirmIn(BaseModel):
    token: str = Field(max_length=600)
    password: str = Field(max_length=1024)


class ChallengeIn(BaseModel):
    challenge: str = Field(max_length=600)
    code: str = Field(max_length=32)


class CodeIn(BaseModel):
    code: str = Field(max_length=32)


class DisableIn(BaseModel):
    password: str = Field(max_length=1024)
    code: str = Field(max_length=32)


# --- the team ---


@router.get("/team")
async def get_team(context: TeamManager, session: DbSession) -> dict[str, Any]:
    return asdict(await team.team(session=session, tenant_id=context.tenant_id))


@router.post("/team/invites", status_code=201)
async def invite(body: InviteIn, context: TeamManager, session: DbSession, client: Client) -> dict[str, Any]:
    created = await team.invite(
        session=session, actor=context, email=body.email, role=body.role, lang=body.lang or context.locale, ip=client.ip
    )
    return asdict(created)


@router.post("/team/invites/{invite_id}/resend")
async def resend_invite(
    invite_id: uuid.UUID, body: LangIn, context: TeamManager, session: DbSession, client: Client
) -> dict[str, Any]:
    return asdict(
        await team.resend(
            session=session, actor=context, invite_id=invite_id, lang=body.lang or context.locale, ip=client.ip
        )
    )


@router.delete("/team/invites/{invite_id}", status_code=204)
async def revoke_invite(invite_id: uuid.UUID, context: TeamManager, session: DbSession, client: Client) -> None:
    await team.revoke(session=session, actor=context, invite_id=invite_id, ip=client.ip)


@router.patch("/team/members/{user_id}", status_code=204)
async def change_role(
    user_id: uuid.UUID, body: RoleIn, context: TeamManager, session: DbSession, client: Client
) -> None:
    await team.change_role(session=session, actor=context, user_id=user_id, role=body.role, ip=client.ip)


class AssistantsIn(BaseModel):
    assistant_ids: list[uuid.UUID] | None = Field(
        default=None, max_length=500, description="the operator's assistants; null: every assistant (the default)"
    )


@router.put("/team/members/{user_id}/assistants", status_code=204)
async def set_member_assistants(
    user_id: uuid.UUID, body: AssistantsIn, context: TeamManager, session: DbSession, client: Client
) -> None:
    """Which assistants' dialogs an operator sees, takes and answers (inbox, dialogs, API)."""
    await team.set_assistants(
        session=session, actor=context, user_id=user_id, assistant_ids=body.assistant_ids, ip=client.ip
    )


@router.delete("/team/members/{user_id}")
async def remove_member(user_id: uuid.UUID, context: TeamManager, session: DbSession, client: Client) -> dict[str, int]:
    return {"sessions_ended": await team.remove(session=session, actor=context, user_id=user_id, ip=client.ip)}


@router.get("/invites/preview", dependencies=[PUBLIC_LINK])
async def preview_invite(token: str, session: DbSession) -> dict[str, Any]:
    return asdict(await team.preview(session=session, token=token[:600]))


@router.post("/invites/accept", response_model=TokensOut, dependencies=[PUBLIC_LINK])
async def accept_invite(body: AcceptIn, session: DbSession, client: Client) -> TokensOut:
    context = await team.accept(
        session=session,
        token=body.token,
        password=body.password,
        full_name=body.full_name,
        code=body.code,
        locale=body.locale,
    )
    policy = auth.default_policy()
    opened = await auth_sessions.open_session(
        session=session,
        context=context,
        kind="api",
        ttl_s=policy.session_ttl_s,
        user_agent=client.user_agent,
        ip=client.ip,
    )
    return _tokens(opened)


# --- password reset, e-mail verification, the second sign-in step ---


@router.post("/auth/password-reset", status_code=202, dependencies=[PUBLIC_RESET])
async def request_reset(body: ResetRequestIn, session: DbSession, client: Client) -> dict[str, str]:
    await auth.request_password_reset(
        session=session, policy=auth.default_policy(), email=body.email, client=client, lang=body.lang
    )
    return {"message": "If an account has this address, a reset link is on its way"}


@router.post("/auth/password-reset/confirm", status_code=204, dependencies=[PUBLIC_LINK])
async def confirm_reset(body: ResetConfirmIn, session: DbSession, client: Client) -> None:
    await account_links.reset_password(session=session, token=body.token, new_password=body.password, ip=client.ip)


@router.post("/auth/verify-email", status_code=204, dependencies=[PUBLIC_LINK])
async def verify_email(body: TokenIn, session: DbSession) -> None:
    await account_links.verify_email(session=session, token=body.token)


@router.post("/auth/login/2fa", response_model=TokensOut, dependencies=[PUBLIC_2FA])
async def login_second_step(body: ChallengeIn, session: DbSession, client: Client) -> TokensOut:
    opened = await auth.complete_sign_in(
        session=session,
        policy=auth.default_policy(),
        challenge=body.challenge,
        code=body.code,
        client=client,
        kind="api",
    )
    return _tokens(opened)


# --- one's own account: verification, two-factor, sessions ---


@router.post("/auth/me/verify-email/resend", status_code=202)
async def resend_verification(body: LangIn, context: CurrentContext, session: DbSession) -> dict[str, bool]:
    sent = await account_links.send_verification(session=session, user_id=context.user_id, lang=body.lang)
    return {"sent": sent}


@router.get("/auth/me/2fa")
async def two_factor_status(context: CurrentContext, session: DbSession) -> dict[str, Any]:
    return asdict(await two_factor.status(session=session, user_id=context.user_id))


@router.post("/auth/me/2fa/setup")
async def two_factor_setup(context: CurrentContext, session: DbSession) -> dict[str, str]:
    return asdict(await two_factor.begin_setup(session=session, user_id=context.user_id))


@router.post("/auth/me/2fa/enable")
async def two_factor_enable(
    body: CodeIn, context: CurrentContext, session: DbSession, client: Client
) -> dict[str, list[str]]:
    codes = await two_factor.enable(session=session, user_id=context.user_id, code=body.code, ip=client.ip)
    return {"recovery_codes": codes}


@router.post("/auth/me/2fa/disable", status_code=204)
async def two_factor_disable(body: DisableIn, context: CurrentContext, session: DbSession, client: Client) -> None:
    await two_factor.disable(
        session=session, user_id=context.user_id, password=body.password, code=body.code, ip=client.ip
    )


@router.post("/auth/me/2fa/recovery-codes")
async def two_factor_new_codes(body: CodeIn, context: CurrentContext, session: DbSession) -> dict[str, list[str]]:
    return {
        "recovery_codes": await two_factor.regenerate_codes(session=session, user_id=context.user_id, code=body.code)
    }


@router.delete("/auth/me/sessions/{session_id}", status_code=204)
async def end_session(session_id: uuid.UUID, context: CurrentContext, session: DbSession) -> None:
    await auth_sessions.revoke_user_session(session=session, user_id=context.user_id, session_id=session_id)


@router.get("/auth/me/sessions")
async def my_sessions(
    context: CurrentContext, session: DbSession, credentials: Annotated[HTTPAuthorizationCredentials, Depends(bearer)]
) -> list[dict[str, Any]]:
    current = _session_id(credentials)
    return [
        {**asdict(s), "current": s.id == current}
        for s in await auth_sessions.list_sessions(session=session, user_id=context.user_id)
    ]


@router.post("/auth/me/sessions/revoke-all")
async def sign_out_everywhere_else(
    context: CurrentContext, session: DbSession, credentials: Annotated[HTTPAuthorizationCredentials, Depends(bearer)]
) -> dict[str, int]:
    """Every other sign-in of the account ends now (this one ends with /auth/logout)."""
    ended = await auth_sessions.revoke_all(
        session=session, user_id=context.user_id, keep_session_id=_session_id(credentials)
    )
    return {"sessions_ended": ended}


def _session_id(credentials: HTTPAuthorizationCredentials) -> uuid.UUID:
    return decode_access_token(credentials.credentials, secret_key=get_settings().secret_key).session_id
