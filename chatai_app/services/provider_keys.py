"""AI provider keys: a tenant's own keys first, then the platform pool, then OPENAI_API_KEY.

Keys are encrypted at rest and never returned in clear; each has a model list, a priority (lower first), limits
(requests per minute, requests and tokens per day, tokens per month) and a health state. Which key answers a turn,
and what a call does to a key, is `key_pool`'s.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from chatai_app.models import AuditLog, ProviderKey, ProviderKeyUsage
from chatai_app.models._base import utcnow
from chatai_app.services.errors import NotFound, ValidationFailed
from chatai_app.services.key_pool import today, tokens_this_month, usage_today
from chatai_app.services.secrets_box import encrypt, hint

LIMITS = ("requests_per_minute", "daily_request_limit", "daily_token_limit", "monthly_token_limit")
MAX_MODELS = 50


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
    priority: int = 100
    daily_request_limit: int | None = None
    daily_token_limit: int | None = None
    monthly_token_limit: int | None = None
    state: str = "healthy"  # healthy | cooling_down | parked | disabled
    cooldown_until: str = ""
    parked_reason: str = ""
    auth_failures: int = 0
    last_error: str = ""
    last_error_at: str = ""
    today: dict[str, int] = field(default_factory=dict)  # requests, prompt/completion tokens, errors, rate_limited
    month_tokens: int = 0


def _iso(value: Any) -> str:
    return value.isoformat() if value is not None else ""


def _state(key: ProviderKey) -> str:
    if not key.enabled:
        return "disabled"
    if key.parked_at is not None:
        return "parked"
    if key.cooldown_until is not None and key.cooldown_until > utcnow():
        return "cooling_down"
    return "healthy"


def _out(key: ProviderKey, usage: Any = None, month_tokens: int = 0) -> ProviderKeyOut:
    today = {
        name: int(getattr(usage, name, 0) or 0)
        for name in ("requests", "prompt_tokens", "completion_tokens", "errors", "rate_limited")
    }
    return ProviderKeyOut(
        key.id, "platform" if key.tenant_id is None else "tenant", key.provider, key.base_url, key.key_hint,
        key.models, key.requests_per_minute, key.enabled, key.priority, key.daily_request_limit,
        key.daily_token_limit, key.monthly_token_limit, _state(key), _iso(key.cooldown_until), key.parked_reason,
        key.auth_failures, key.last_error, _iso(key.last_error_at), today, month_tokens,
    )  # fmt: skip


def _clean_models(models: list[str] | None) -> list[str]:
    cleaned = [m.strip()[:120] for m in models or [] if m and m.strip()]
    return list(dict.fromkeys(cleaned))


def _check_settings(errors: dict[str, str], priority: int | None, limits: dict[str, int | None]) -> None:
    if priority is not None and not 0 <= priority <= 10_000:
        errors["priority"] = "Use a number from 0 to 10000"
    for name, value in limits.items():
        if value is not None and value < 1:
            errors[name] = "Use a positive number"


def _audit(session: AsyncSession, key: ProviderKey, action: str, actor_user_id: uuid.UUID | None, **meta: Any) -> None:
    if key.tenant_id is None:  # the platform pool's changes are the admins' audit trail
        session.add(AuditLog(actor_user_id=actor_user_id, action=action, target_type="provider_key",
                             target_id=str(key.id), meta={"key": key.key_hint, **meta}))  # fmt: skip


async def add_key(
    *,
    session: AsyncSession,
    tenant_id: uuid.UUID | None,
    api_key: str,
    base_url: str = "",
    models: list[str] | None = None,
    requests_per_minute: int | None = None,
    provider: str = "openai",
    priority: int = 100,
    daily_request_limit: int | None = None,
    daily_token_limit: int | None = None,
    monthly_token_limit: int | None = None,
    actor_user_id: uuid.UUID | None = None,
) -> ProviderKeyOut:
    """`tenant_id=None` adds to the platform pool (admins only; the adapter checks the role)."""
    limits = {"requests_per_minute": requests_per_minute, "daily_request_limit": daily_request_limit,
              "daily_token_limit": daily_token_limit, "monthly_token_limit": monthly_token_limit}  # fmt: skip
    errors: dict[str, str] = {}
    api_key = (api_key or "").strip()
    if not 8 <= len(api_key) <= 500:
        errors["api_key"] = "Paste the whole API key"
    if base_url and not base_url.startswith(("http://", "https://")):
        errors["base_url"] = "Use an http(s) URL such as https://api.openai.com/v1"
    if not (provider or "").strip() or len(provider) > 40:
        errors["provider"] = "Name the provider, e.g. openai"
    if len(models or []) > MAX_MODELS:
        errors["models"] = "At most 50 models per key"
    _check_settings(errors, priority, limits)
    if errors:
        raise ValidationFailed(errors)
    key = ProviderKey(
        tenant_id=tenant_id, provider=provider.strip(), base_url=base_url.strip().rstrip("/"),
        api_key_encrypted=encrypt(api_key), key_hint=hint(api_key), models=_clean_models(models),
        priority=priority, **limits,
    )  # fmt: skip
    session.add(key)
    await session.flush()
    _audit(session, key, "provider_key.add", actor_user_id, base_url=key.base_url, models=key.models)
    return _out(key)


async def list_keys(*, session: AsyncSession, tenant_id: uuid.UUID | None) -> list[ProviderKeyOut]:
    """The tenant's keys (None: the platform pool) in the order they are tried, with today's usage."""
    condition = ProviderKey.tenant_id.is_(None) if tenant_id is None else ProviderKey.tenant_id == tenant_id
    keys = (
        await session.exec(select(ProviderKey).where(condition).order_by(ProviderKey.priority, ProviderKey.created_at))
    ).all()
    ids = [k.id for k in keys]
    usage, month = await usage_today(session, ids), await tokens_this_month(session, ids)
    return [_out(k, usage.get(k.id), month.get(k.id, 0)) for k in keys]


async def _own_key(session: AsyncSession, tenant_id: uuid.UUID | None, key_id: uuid.UUID) -> ProviderKey:
    key = await session.get(ProviderKey, key_id, with_for_update=True)
    if key is None or key.tenant_id != tenant_id:
        raise NotFound("Key not found")
    return key


async def update_key(
    *,
    session: AsyncSession,
    tenant_id: uuid.UUID | None,
    key_id: uuid.UUID,
    priority: int,
    limits: dict[str, int | None],
    models: list[str] | None = None,
    enabled: bool | None = None,
    actor_user_id: uuid.UUID | None = None,
) -> ProviderKeyOut:
    """Set the priority and every limit (None: no limit); the models and the switch when given."""
    unknown = set(limits) - set(LIMITS)
    errors = {name: "Unknown limit" for name in unknown}
    _check_settings(errors, priority, limits)
    if models is not None and len(models) > MAX_MODELS:
        errors["models"] = "At most 50 models per key"
    if errors:
        raise ValidationFailed(errors)
    key = await _own_key(session, tenant_id, key_id)
    before = {name: getattr(key, name) for name in ("priority", *LIMITS)}
    key.priority = priority
    for name in LIMITS:
        setattr(key, name, limits.get(name))
    if models is not None:
        key.models = _clean_models(models)
    if enabled is not None:
        key.enabled = enabled
    session.add(key)
    await session.flush()
    after = {name: getattr(key, name) for name in ("priority", *LIMITS)}
    _audit(session, key, "provider_key.update", actor_user_id, before=before, after=after)
    return _out(key)


async def unpark_key(
    *, session: AsyncSession, tenant_id: uuid.UUID | None, key_id: uuid.UUID, actor_user_id: uuid.UUID | None = None
) -> ProviderKeyOut:
    """Back in the rotation: the parking, the cooldown and the failure count are cleared."""
    key = await _own_key(session, tenant_id, key_id)
    reason = key.parked_reason
    key.parked_at, key.parked_reason, key.auth_failures, key.cooldown_until = None, "", 0, None
    session.add(key)
    await session.flush()
    _audit(session, key, "provider_key.unpark", actor_user_id, was=reason)
    return _out(key)


async def delete_key(
    *, session: AsyncSession, tenant_id: uuid.UUID | None, key_id: uuid.UUID, actor_user_id: uuid.UUID | None = None
) -> None:
    key = await _own_key(session, tenant_id, key_id)
    _audit(session, key, "provider_key.delete", actor_user_id, base_url=key.base_url)
    await session.exec(sa.delete(ProviderKey).where(ProviderKey.id == key_id))


@dataclass(frozen=True)
class DayUsage:
    day: str
    requests: int
    prompt_tokens: int
    completion_tokens: int
    errors: int
    rate_limited: int


async def usage_by_day(
    *, session: AsyncSession, tenant_id: uuid.UUID | None, key_id: uuid.UUID, days: int = 14
) -> list[DayUsage]:
    """The key's usage per UTC day, newest first, over the last `days` days that had any."""
    key = await session.get(ProviderKey, key_id)
    if key is None or key.tenant_id != tenant_id:
        raise NotFound("Key not found")
    rows = await session.exec(
        select(ProviderKeyUsage)
        .where(ProviderKeyUsage.key_id == key_id, ProviderKeyUsage.day > today() - timedelta(days=days))
        .order_by(ProviderKeyUsage.day.desc())  # type: ignore[attr-defined]
    )
    return [
        DayUsage(r.day.isoformat(), r.requests, r.prompt_tokens, r.completion_tokens, r.errors, r.rate_limited)
        for r in rows.all()
    ]
