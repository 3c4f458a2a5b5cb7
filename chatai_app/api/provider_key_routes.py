"""AI provider keys: a workspace owner's own keys, and the platform pool that admins manage."""

from __future__ import annotations

import uuid

from fastapi import APIRouter
from pydantic import BaseModel, Field

from chatai_app.api.deps import DbSession, KeysOwner, PlatformAdmin
from chatai_app.services import provider_keys

router = APIRouter(prefix="/api/v1", tags=["provider keys"])


class KeyIn(BaseModel):
    api_key: str = Field(max_length=1000)
    base_url: str = Field(default="", max_length=300)
    models: list[str] = Field(default_factory=list, max_length=50)
    requests_per_minute: int | None = None
    provider: str = Field(default="openai", max_length=40)
    priority: int = 100
    daily_request_limit: int | None = None
    daily_token_limit: int | None = None
    monthly_token_limit: int | None = None


@router.post("/provider-keys", status_code=201)
async def add_tenant_key(body: KeyIn, context: KeysOwner, session: DbSession) -> provider_keys.ProviderKeyOut:
    return await provider_keys.add_key(session=session, tenant_id=context.tenant_id, **body.model_dump())


@router.get("/provider-keys")
async def list_tenant_keys(context: KeysOwner, session: DbSession) -> list[provider_keys.ProviderKeyOut]:
    return await provider_keys.list_keys(session=session, tenant_id=context.tenant_id)


@router.delete("/provider-keys/{key_id}", status_code=204)
async def delete_tenant_key(key_id: uuid.UUID, context: KeysOwner, session: DbSession) -> None:
    await provider_keys.delete_key(session=session, tenant_id=context.tenant_id, key_id=key_id)


@router.post("/admin/provider-keys", status_code=201)
async def add_platform_key(body: KeyIn, context: PlatformAdmin, session: DbSession) -> provider_keys.ProviderKeyOut:
    return await provider_keys.add_key(
        session=session, tenant_id=None, actor_user_id=context.user_id, **body.model_dump()
    )


@router.get("/admin/provider-keys")
async def list_platform_keys(context: PlatformAdmin, session: DbSession) -> list[provider_keys.ProviderKeyOut]:
    return await provider_keys.list_keys(session=session, tenant_id=None)
