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


class KeySettingsIn(BaseModel):
    """The priority and every limit (null: no limit); the models and the switch when given."""

    priority: int = 100
    requests_per_minute: int | None = None
    daily_request_limit: int | None = None
    daily_token_limit: int | None = None
    monthly_token_limit: int | None = None
    models: list[str] | None = Field(default=None, max_length=50)
    enabled: bool | None = None


def _settings(body: KeySettingsIn) -> dict[str, object]:
    limits = {name: getattr(body, name) for name in provider_keys.LIMITS}
    return {"priority": body.priority, "limits": limits, "models": body.models, "enabled": body.enabled}


@router.patch("/provider-keys/{key_id}")
async def update_tenant_key(
    key_id: uuid.UUID, body: KeySettingsIn, context: KeysOwner, session: DbSession
) -> provider_keys.ProviderKeyOut:
    return await provider_keys.update_key(
        session=session, tenant_id=context.tenant_id, key_id=key_id, actor_user_id=context.user_id, **_settings(body)
    )  # type: ignore[arg-type]


@router.patch("/admin/provider-keys/{key_id}")
async def update_platform_key(
    key_id: uuid.UUID, body: KeySettingsIn, context: PlatformAdmin, session: DbSession
) -> provider_keys.ProviderKeyOut:
    return await provider_keys.update_key(
        session=session, tenant_id=None, key_id=key_id, actor_user_id=context.user_id, **_settings(body)
    )  # type: ignore[arg-type]


@router.post("/admin/provider-keys/{key_id}/unpark")
async def unpark_platform_key(
    key_id: uuid.UUID, context: PlatformAdmin, session: DbSession
) -> provider_keys.ProviderKeyOut:
    return await provider_keys.unpark_key(session=session, tenant_id=None, key_id=key_id, actor_user_id=context.user_id)


@router.delete("/admin/provider-keys/{key_id}", status_code=204)
async def delete_platform_key(key_id: uuid.UUID, context: PlatformAdmin, session: DbSession) -> None:
    await provider_keys.delete_key(session=session, tenant_id=None, key_id=key_id, actor_user_id=context.user_id)


@router.post("/provider-keys/{key_id}/unpark")
async def unpark_tenant_key(key_id: uuid.UUID, context: KeysOwner, session: DbSession) -> provider_keys.ProviderKeyOut:
    return await provider_keys.unpark_key(
        session=session, tenant_id=context.tenant_id, key_id=key_id, actor_user_id=context.user_id
    )
