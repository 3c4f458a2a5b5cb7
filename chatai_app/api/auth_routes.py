"""JSON API for accounts: sign-up, login, refresh-token rotation, logout, profile."""

from __future__ import annotations

import uuid

from fastapi import APIRouter
from pydantic import BaseModel, Field

from chatai_app.api.deps import Client, CurrentContext, DbSession, public
from chatai_app.services import accounts, auth, auth_sessions
from chatai_app.services.auth_sessions import OpenedSession
from chatai_app.settings import get_settings

router = APIRouter(prefix="/api/v1/auth", tags=["auth"])
PUBLIC = public("signing in and out needs no session")


class SignUpIn(BaseModel):
    email: str = Field(max_length=254)
    password: str = Field(max_length=1024)
    full_name: str = Field(default="", max_length=1024)
    workspace_name: str = Field(default="", max_length=1024)
    locale: str = "en"


class LoginIn(BaseModel):
    email: str = Field(max_length=254)
    password: str = Field(max_length=1024)


class RefreshIn(BaseModel):
    refresh_token: str = Field(max_length=200)


class TokensOut(BaseModel):
    access_token: str
    refresh_token: str
    token_type: str
    expires_in: int


class MeOut(BaseModel):
    user_id: uuid.UUID
    email: str
    full_name: str
    platform_role: str
    locale: str
    tenant_id: uuid.UUID
    tenant_name: str
    role: str


class ProfileIn(BaseModel):
    full_name: str = Field(max_length=1024)
    locale: str = "en"


def _tokens(opened: OpenedSession) -> TokensOut:
    settings = get_settings()
    pair = auth_sessions.issue_tokens(opened, secret_key=settings.secret_key, access_ttl_s=settings.access_token_ttl_s)
    return TokensOut(**pair.__dict__)


@router.post("/signup", response_model=TokensOut, status_code=201, dependencies=[PUBLIC])
async def sign_up(body: SignUpIn, session: DbSession, client: Client) -> TokensOut:
    opened = await auth.register(
        session=session, policy=auth.default_policy(), client=client, kind="api", **body.model_dump()
    )
    return _tokens(opened)


@router.post("/login", response_model=TokensOut, dependencies=[PUBLIC])
async def login(body: LoginIn, session: DbSession, client: Client) -> TokensOut:
    opened = await auth.sign_in(
        session=session,
        policy=auth.default_policy(),
        email=body.email,
        password=body.password,
        client=client,
        kind="api",
    )
    return _tokens(opened)


@router.post("/refresh", response_model=TokensOut, dependencies=[PUBLIC])
async def refresh(body: RefreshIn, session: DbSession) -> TokensOut:
    opened = await auth_sessions.rotate_refresh_token(
        session=session, token=body.refresh_token, ttl_s=get_settings().refresh_token_ttl_s
    )
    return _tokens(opened)


@router.post("/logout", status_code=204, dependencies=[PUBLIC])
async def logout(body: RefreshIn, session: DbSession) -> None:
    await auth_sessions.revoke_session(session=session, token=body.refresh_token, kind="api")


@router.get("/me", response_model=MeOut)
async def me(context: CurrentContext) -> MeOut:
    return MeOut(**context.__dict__)


@router.patch("/me", response_model=MeOut)
async def update_me(body: ProfileIn, context: CurrentContext, session: DbSession) -> MeOut:
    await accounts.update_profile(
        session=session, user_id=context.user_id, full_name=body.full_name, locale=body.locale
    )
    updated = await accounts.load_context(session=session, user_id=context.user_id, tenant_id=context.tenant_id)
    return MeOut(**updated.__dict__)
