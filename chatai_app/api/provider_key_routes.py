"""AI provider keys: a workspace owner's own keys, and the platform pool that admins manage."""

from __future__ import annotations

import uuid

from fastapi import APIRouter
from pydantic import BaseModel, Field

from chatai_app.api.deps import CurrentContext, DbSession
from chatai_app.services import provider_keys
from chatai_app.services.accounts import AuthContext
from chatai_app.services.errors import PermissionDenied

router = APIRouter(prefix="/api/v1", tags=["provider keys"])


class KeyIn(BaseModel):
    api_key: str = Field(max_length=1000)
    base_url: str = Field(default="", max_length=300)
    models: list[str] = Field(default_factory=list, max_length=50)
    requests_per_minute: int | None = None


def _owner(context: AuthContext) -> uuid.UUID:
    if context.role != "owner":
        raise PermissionDenied("Only the workspace owner manages its provider keys")
    return context.tenant_id


def _admin(context: AuthContext) -> None:
    if not context.is_admin:
        raise PermissionDenied("Only platform admins manage the platform key pool")


@router.post("/provider-keys", status_code=201)
async def add_tenant_key(body: KeyIn, context: CurrentContext, session: DbSession) -> provider_keys.ProviderKeyOut:
    return await provider_keys.add_key(session=session, tenant_id=_owner(context), **body.model_dump())


@router.get("/provider-keys")
async def list_tenant_keys(context: CurrentContext, session: DbSession) -> list[provider_keys.ProviderKeyOut]:
    return await provider_keys.list_keys(session=session, tenant_id=_owner(context))


@router.delete("/provider-keys/{key_id}", status_code=204)
async def delete_tenant_key(key_id: uuid.UUID, context: CurrentContext, session: DbSession) -> None:
    await provider_keys.delete_key(session=session, tenant_id=_owner(context), key_id=key_id)


@router.post("/admin/provider-keys", status_code=201)
async def add_platform_key(body: KeyIn, context: CurrentContext, session: DbSession) -> provider_keys.ProviderKeyOut:
    _admin(context)
    return await provider_keys.add_key(session=session, tenant_id=None, **body.model_dump())


@router.get("/admin/provider-keys")
async def list_platform_keys(context: CurrentContext, session: DbSession) -> list[provider_keys.ProviderKeyOut]:
    _admin(context)
    return await provider_keys.list_keys(session=session, tenant_id=None)
