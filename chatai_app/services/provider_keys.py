"""AI provider keys: a tenant's own keys first, then the platform pool, then OPENAI_API_KEY.

Keys are encrypted at rest and never returned in clear; each has optional model and rate limits.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import sqlalchemy as sa
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from chatai_app.models import ProviderKey
from chatai_app.services.errors import NotFound, ValidationFailed
from chatai_app.services.secrets_box import decrypt, encrypt, hint
from chatai_app.settings import get_settings


@dataclass(frozen=True)
class Endpoint:
    api_key: str | None
    base_url: str | None
    source: str  # tenant | platform | settings


@dataclass(frozen=True)
class ProviderKeyOut:
    id: uuid.UUID
    scope: str
    provider: str
    base_url: str
    key_hint: str
    models: list[str]
    requests_per_minute: int | None
    enabled: bool


def _out(key: ProviderKey) -> ProviderKeyOut:
    scope = "platform" if key.tenant_id is None else "tenant"
    return ProviderKeyOut(
        key.id, scope, key.provider, key.base_url, key.key_hint, key.models, key.requests_per_minute, key.enabled
    )


async def add_key(
    *,
    session: AsyncSession,
    tenant_id: uuid.UUID | None,
    api_key: str,
    base_url: str = "",
    models: list[str] | None = None,
    requests_per_minute: int | None = None,
    provider: str = "openai",
) -> ProviderKeyOut:
    """`tenant_id=None` adds to the platform pool (admins only; the adapter checks the role)."""
    errors = {}
    if not 8 <= len(api_key or "") <= 500:
        errors["api_key"] = "Paste the whole API key"
    if base_url and not base_url.startswith(("http://", "https://")):
        errors["base_url"] = "Use an http(s) URL such as https://api.openai.com/v1"
    if requests_per_minute is not None and requests_per_minute < 1:
        errors["requests_per_minute"] = "Use a positive number"
    if errors:
        raise ValidationFailed(errors)
    key = ProviderKey(
        tenant_id=tenant_id, provider=provider, base_url=base_url.rstrip("/"), api_key_encrypted=encrypt(api_key),
        key_hint=hint(api_key), models=models or [], requests_per_minute=requests_per_minute,
    )  # fmt: skip
    session.add(key)
    await session.flush()
    return _out(key)


async def list_keys(*, session: AsyncSession, tenant_id: uuid.UUID | None) -> list[ProviderKeyOut]:
    condition = ProviderKey.tenant_id.is_(None) if tenant_id is None else ProviderKey.tenant_id == tenant_id
    return [_out(k) for k in (await session.exec(select(ProviderKey).where(condition))).all()]


async def delete_key(*, session: AsyncSession, tenant_id: uuid.UUID | None, key_id: uuid.UUID) -> None:
    key = await session.get(ProviderKey, key_id)
    if key is None or key.tenant_id != tenant_id:
        raise NotFound("Key not found")
    await session.exec(sa.delete(ProviderKey).where(ProviderKey.id == key_id))


def _serves(key: ProviderKey, model: str) -> bool:
    return key.enabled and (not key.models or model in key.models)


async def resolve_endpoint(*, session: AsyncSession, tenant_id: uuid.UUID, model: str) -> Endpoint:
    """The key to call `model` with: the tenant's own, else the platform pool, else the settings."""
    keys = (
        await session.exec(
            select(ProviderKey)
            .where(sa.or_(ProviderKey.tenant_id == tenant_id, ProviderKey.tenant_id.is_(None)))
            .order_by(ProviderKey.tenant_id.is_(None), ProviderKey.created_at)
        )
    ).all()
    for key in keys:
        if _serves(key, model):
            source = "platform" if key.tenant_id is None else "tenant"
            return Endpoint(decrypt(key.api_key_encrypted), key.base_url or None, source)
    settings = get_settings()
    return Endpoint(settings.openai_api_key, settings.openai_base_url, "settings")
