"""The provider key pool at work: which key answers a turn, and what each call did to that key.

Order: the tenant's own keys, then the platform pool (today's precedence), each by priority (lower first), then age.
A key is skipped while it is disabled, parked, cooling down, not serving the model, over its requests per minute
(Redis when configured, else PostgreSQL) or over its daily request, daily token or monthly token limit.
A request is counted when the key is picked (an atomic upsert that refuses a key at its daily request limit, so
concurrent turns share the limit); tokens, errors and 429s are counted after the call, per key per UTC day.
429, 5xx, timeouts and broken streams cool the key down (Retry-After honoured) and the turn moves on to the next
key; 401/403 count as authentication failures and park the key after three in a row, with the reason kept.
No key serving the model at all: the settings endpoint (OPENAI_API_KEY), retried with backoff as before the pool.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from chatai_app.db import session_scope
from chatai_app.models import ProviderKey, ProviderKeyUsage
from chatai_app.models._base import utcnow
from chatai_app.services import ratelimit
from chatai_app.services.llm import Completion, LLMUnavailable
from chatai_app.services.secrets_box import decrypt
from chatai_app.settings import get_settings

log = logging.getLogger(__name__)
PARK_AFTER_AUTH_FAILURES = 3
COOLDOWN_RATE_LIMITED_S = 30.0  # a 429 without Retry-After
COOLDOWN_FAILED_S = 10.0  # 5xx, timeouts, broken streams
MAX_COOLDOWN_S = 3600.0


class NoUsableKey(LLMUnavailable):
    """Keys serve the model but none can be used now (parked, cooling down, over a limit)."""

    code = "no_usable_key"


@dataclass(frozen=True)
class Lease:
    key_id: uuid.UUID | None  # None: the settings endpoint (OPENAI_API_KEY / OPENAI_BASE_URL)
    api_key: str | None
    base_url: str | None
    source: str  # tenant | platform | settings
    reserved: bool = False  # its request was counted when picked (a daily request limit); else counted on record


def today() -> date:
    return utcnow().date()


def serves(key: ProviderKey, model: str) -> bool:
    return key.enabled and (not key.models or model in key.models)


@dataclass(frozen=True)
class Spent:
    requests_today: int = 0
    tokens_today: int = 0
    tokens_this_month: int = 0


async def _candidates(session: AsyncSession, tenant_id: uuid.UUID, model: str) -> list[tuple[ProviderKey, Spent]]:
    """The keys that may serve the tenant, in the order they are tried, with what each spent (one statement)."""
    day, tokens = today(), ProviderKeyUsage.prompt_tokens + ProviderKeyUsage.completion_tokens
    whose = sa.or_(ProviderKey.tenant_id == tenant_id, ProviderKey.tenant_id.is_(None))
    spent = (
        sa.select(
            ProviderKeyUsage.key_id,
            sa.func.sum(ProviderKeyUsage.requests).filter(ProviderKeyUsage.day == day).label("requests_today"),
            sa.func.sum(tokens).filter(ProviderKeyUsage.day == day).label("tokens_today"),
            sa.func.sum(tokens).label("tokens_month"),
        )
        .where(
            ProviderKeyUsage.day >= day.replace(day=1), ProviderKeyUsage.key_id.in_(select(ProviderKey.id).where(whose))
        )
        .group_by(ProviderKeyUsage.key_id)
        .subquery()
    )
    rows = await session.exec(
        select(ProviderKey, spent.c.requests_today, spent.c.tokens_today, spent.c.tokens_month)
        .outerjoin(spent, spent.c.key_id == ProviderKey.id)
        .where(whose)
        .order_by(ProviderKey.tenant_id.is_(None), ProviderKey.priority, ProviderKey.created_at)
    )
    return [(key, Spent(int(r or 0), int(t or 0), int(m or 0))) for key, r, t, m in rows.all() if serves(key, model)]


async def usage_today(session: AsyncSession, key_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, ProviderKeyUsage]:
    rows = await session.exec(
        select(ProviderKeyUsage).where(ProviderKeyUsage.key_id.in_(key_ids), ProviderKeyUsage.day == today())
    )
    return {row.key_id: row for row in rows.all()}


async def tokens_this_month(session: AsyncSession, key_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, int]:
    first = today().replace(day=1)
    total = sa.func.sum(ProviderKeyUsage.prompt_tokens + ProviderKeyUsage.completion_tokens)
    rows = await session.exec(
        sa.select(ProviderKeyUsage.key_id, total)
        .where(ProviderKeyUsage.key_id.in_(key_ids), ProviderKeyUsage.day >= first)
        .group_by(ProviderKeyUsage.key_id)
    )
    return {key_id: int(tokens or 0) for key_id, tokens in rows.all()}


def unusable_reason(key: ProviderKey, now: datetime, spent: Spent, *, retrying: bool = False) -> str:
    """Why the key cannot take a request now ('' when it can); the daily request limit is checked again, atomically,
    on reserving. `retrying`: the turn that cooled the key down for a 5xx/timeout tries it again after its backoff."""
    checks = (
        (not key.enabled, "disabled"),
        (key.parked_at is not None, "parked"),
        (key.cooldown_until is not None and key.cooldown_until > now and not retrying, "cooling_down"),
        (key.daily_request_limit is not None and spent.requests_today >= key.daily_request_limit, "daily_requests"),
        (key.daily_token_limit is not None and spent.tokens_today >= key.daily_token_limit, "daily_tokens"),
        (key.monthly_token_limit is not None and spent.tokens_this_month >= key.monthly_token_limit,
         "monthly_tokens"),
    )  # fmt: skip
    return next((reason for failed, reason in checks if failed), "")


async def _reserve_request(session: AsyncSession, key: ProviderKey) -> bool:
    """Count one request for today unless that would pass the key's daily request limit."""
    await _counters_only(session)
    limit = key.daily_request_limit
    upsert = insert(ProviderKeyUsage).values(key_id=key.id, day=today(), requests=1)
    upsert = upsert.on_conflict_do_update(
        index_elements=["key_id", "day"],
        set_={"requests": ProviderKeyUsage.requests + 1},
        where=(ProviderKeyUsage.requests < limit) if limit is not None else None,
    ).returning(ProviderKeyUsage.requests)
    return (await session.exec(upsert)).first() is not None  # type: ignore[call-overload]


async def _within_rpm(session: AsyncSession, key: ProviderKey) -> bool:
    """Redis when configured; else counted in PostgreSQL within the lease's own transaction."""
    if not key.requests_per_minute:
        return True
    name, limiter = f"provider-key:{key.id}", ratelimit.default_limiter()
    if isinstance(limiter, ratelimit.PostgresRateLimiter):
        await _counters_only(session)
        return await limiter.hit_in(session, name, limit=key.requests_per_minute, window_s=60) == 0
    return await limiter.hit(name, limit=key.requests_per_minute, window_s=60) == 0


async def lease(
    *,
    session: AsyncSession,
    tenant_id: uuid.UUID,
    model: str,
    exclude: frozenset[uuid.UUID] = frozenset(),
    retrying: frozenset[uuid.UUID] = frozenset(),
) -> Lease:
    """The key to call `model` with now (its request counted); raises NoUsableKey when keys serve the model but none
    can be used; the settings endpoint when no key serves it."""
    keys = await _candidates(session, tenant_id, model)
    if not keys:
        return _settings_lease()
    now, skipped = utcnow(), []
    for key, spent in keys:
        if key.id in exclude:
            skipped.append("failed in this turn")
            continue
        if reason := unusable_reason(key, now, spent, retrying=key.id in retrying):
            skipped.append(reason)
        elif not await _within_rpm(session, key):
            skipped.append("requests_per_minute")
        elif key.daily_request_limit is not None and not await _reserve_request(session, key):
            skipped.append("daily_requests")
        else:
            source = "platform" if key.tenant_id is None else "tenant"
            reserved = key.daily_request_limit is not None
            return Lease(key.id, decrypt(key.api_key_encrypted), key.base_url or None, source, reserved)
    raise NoUsableKey(f"no usable provider key for {model}: " + ", ".join(sorted(set(skipped))))


def _settings_lease() -> Lease:
    settings = get_settings()
    return Lease(None, settings.openai_api_key, settings.openai_base_url, "settings")


async def settings_lease(*, session: AsyncSession, tenant_id: uuid.UUID, model: str) -> Lease | None:
    """The settings endpoint's lease when no key serves `model` (nothing to count), read in the caller's transaction;
    None when keys do (they are leased by `complete`). The engine reads it with the turn's intake: no pool, no
    transaction of its own."""
    return None if await _candidates(session, tenant_id, model) else _settings_lease()


async def _counters_only(session: AsyncSession) -> None:
    """This transaction writes counters and key health only: its commit need not wait for the disk (a crash may lose
    the last moments' counts, never other data)."""
    await session.exec(sa.text("SET LOCAL synchronous_commit = off"))  # type: ignore[call-overload]


async def _count(session: AsyncSession, key_id: uuid.UUID, **increments: int) -> None:
    upsert = insert(ProviderKeyUsage).values(key_id=key_id, day=today(), **increments)
    upsert = upsert.on_conflict_do_update(
        index_elements=["key_id", "day"],
        set_={name: getattr(ProviderKeyUsage, name) + value for name, value in increments.items()},
    )
    await session.exec(upsert)  # type: ignore[call-overload]


async def record_success(
    *, session: AsyncSession, key_id: uuid.UUID, completion: Completion, reserved: bool = False
) -> None:
    """The request (unless `reserved` when picked) and the tokens from the provider's usage; the key's authentication
    failures and cooldown end."""
    await _counters_only(session)
    touched = await session.exec(
        sa.update(ProviderKey)
        .where(ProviderKey.id == key_id)
        .values(auth_failures=0, cooldown_until=None, last_used_at=utcnow())
        .returning(ProviderKey.id)
    )
    if touched.first() is None:  # deleted meanwhile
        return
    await _count(
        session, key_id, requests=int(not reserved), prompt_tokens=completion.prompt_tokens,
        completion_tokens=completion.completion_tokens,
    )  # fmt: skip


def _cooldown_s(exc: LLMUnavailable) -> float | None:
    if exc.status == 429:
        return min(MAX_COOLDOWN_S, exc.retry_after_s if exc.retry_after_s is not None else COOLDOWN_RATE_LIMITED_S)
    if exc.status is None or exc.status >= 500:
        return min(MAX_COOLDOWN_S, exc.retry_after_s or COOLDOWN_FAILED_S)
    return None  # another 4xx: the request, not the key (the turn still tries the next key)


async def record_failure(
    *, session: AsyncSession, key_id: uuid.UUID, error: LLMUnavailable, reserved: bool = False
) -> None:
    """Count the request (unless `reserved`) and the error; cool the key down, or count an authentication failure and
    park it after three in a row."""
    await _counters_only(session)
    key = await session.get(ProviderKey, key_id, with_for_update=True)
    if key is None:  # deleted meanwhile
        return
    await _count(session, key_id, requests=int(not reserved), errors=1, rate_limited=int(error.status == 429))
    now = utcnow()
    key.last_error, key.last_error_at, key.last_used_at = error.message[:500], now, now
    if error.status in (401, 403):
        key.auth_failures += 1
        if key.auth_failures >= PARK_AFTER_AUTH_FAILURES and key.parked_at is None:
            key.parked_at = now
            key.parked_reason = (
                f"{key.auth_failures} authentication failures in a row (HTTP {error.status}): {error.message}"
            )[:300]
            log.warning("provider key %s parked: %s", key.id, key.parked_reason)
    elif (seconds := _cooldown_s(error)) is not None:
        key.cooldown_until = now + timedelta(seconds=seconds)
    session.add(key)


Call = Callable[[Lease], Awaitable[Completion]]


async def _lease(tenant_id: uuid.UUID, model: str, tried: set[uuid.UUID], transient: set[uuid.UUID]) -> Lease:
    async with session_scope() as session:
        return await lease(
            session=session, tenant_id=tenant_id, model=model,
            exclude=frozenset(tried), retrying=frozenset(transient - tried),
        )  # fmt: skip


def _transient(error: LLMUnavailable) -> bool:
    """A 5xx, a timeout or a broken stream: the same key may answer after a backoff."""
    return error.status is None or error.status >= 500


async def complete(
    *,
    tenant_id: uuid.UUID,
    model: str,
    call: Call,
    on_failure: Callable[[], Awaitable[None]],
    retry_delays_s: Sequence[float] = (),
    first: Lease | None = None,
) -> Completion:
    """One turn's completion: keys in order, the next one after a failure, until one answers. When every usable key
    has failed, those that failed with a 5xx/timeout are tried again after each of `retry_delays_s` (so does the
    settings endpoint); then the last provider error (or NoUsableKey when no key could be used at all) is raised.
    `first`: the settings lease the caller read already (`settings_lease`), used for the first try."""
    tried: set[uuid.UUID] = set()  # failed in this turn
    transient: set[uuid.UUID] = set()  # of those, cooled down by this turn for a 5xx/timeout
    delays, last_error = list(retry_delays_s), None
    while True:
        try:
            picked, first = first or await _lease(tenant_id, model, tried, transient), None
        except NoUsableKey:
            if last_error is None:
                raise
            if not (transient and delays):  # the provider's own error says why
                raise last_error from None
            await asyncio.sleep(delays.pop(0))
            tried -= transient
            continue
        try:
            completion = await call(picked)
        except LLMUnavailable as exc:
            log.warning("LLM call with %s key %s failed: %s", picked.source, picked.key_id, exc.message)
            await on_failure()
            if picked.key_id is None:
                if not delays:
                    raise
                await asyncio.sleep(delays.pop(0))
                continue
            async with session_scope() as session:
                await record_failure(session=session, key_id=picked.key_id, error=exc, reserved=picked.reserved)
            tried.add(picked.key_id)
            if _transient(exc):
                transient.add(picked.key_id)
            else:
                transient.discard(picked.key_id)
            last_error = exc
            continue
        if picked.key_id is not None:
            async with session_scope() as session:
                await record_success(
                    session=session, key_id=picked.key_id, completion=completion, reserved=picked.reserved
                )
        return completion
