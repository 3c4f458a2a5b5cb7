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


def today() -> date:
    return utcnow().date()


def serves(key: ProviderKey, model: str) -> bool:
    return key.enabled and (not key.models or model in key.models)


async def _candidates(session: AsyncSession, tenant_id: uuid.UUID, model: str) -> list[ProviderKey]:
    keys = (
        await session.exec(
            select(ProviderKey)
            .where(sa.or_(ProviderKey.tenant_id == tenant_id, ProviderKey.tenant_id.is_(None)))
            .order_by(ProviderKey.tenant_id.is_(None), ProviderKey.priority, ProviderKey.created_at)
        )
    ).all()
    return [key for key in keys if serves(key, model)]


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


@dataclass(frozen=True)
class Spent:
    requests_today: int = 0
    tokens_today: int = 0
    tokens_this_month: int = 0


async def _spent(session: AsyncSession, key_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, Spent]:
    """Today's requests and tokens and this month's tokens of each key, in one statement."""
    day, tokens = today(), ProviderKeyUsage.prompt_tokens + ProviderKeyUsage.completion_tokens
    rows = await session.exec(
        sa.select(
            ProviderKeyUsage.key_id,
            sa.func.sum(ProviderKeyUsage.requests).filter(ProviderKeyUsage.day == day),
            sa.func.sum(tokens).filter(ProviderKeyUsage.day == day),
            sa.func.sum(tokens),
        )
        .where(ProviderKeyUsage.key_id.in_(key_ids), ProviderKeyUsage.day >= day.replace(day=1))
        .group_by(ProviderKeyUsage.key_id)
    )
    return {key_id: Spent(int(r or 0), int(t or 0), int(m or 0)) for key_id, r, t, m in rows.all()}


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
    limit = key.daily_request_limit
    upsert = insert(ProviderKeyUsage).values(key_id=key.id, day=today(), requests=1)
    upsert = upsert.on_conflict_do_update(
        index_elements=["key_id", "day"],
        set_={"requests": ProviderKeyUsage.requests + 1},
        where=(ProviderKeyUsage.requests < limit) if limit is not None else None,
    ).returning(ProviderKeyUsage.requests)
    return (await session.exec(upsert)).first() is not None  # type: ignore[call-overload]


async def _within_rpm(key: ProviderKey) -> bool:
    if not key.requests_per_minute:
        return True
    wait = await ratelimit.default_limiter().hit(f"provider-key:{key.id}", limit=key.requests_per_minute, window_s=60)
    return wait == 0


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
        settings = get_settings()
        return Lease(None, settings.openai_api_key, settings.openai_base_url, "settings")
    spent = await _spent(session, [key.id for key in keys])
    now, skipped = utcnow(), []
    for key in keys:
        if key.id in exclude:
            skipped.append("failed in this turn")
            continue
        if reason := unusable_reason(key, now, spent.get(key.id, Spent()), retrying=key.id in retrying):
            skipped.append(reason)
        elif not await _within_rpm(key):
            skipped.append("requests_per_minute")
        elif not await _reserve_request(session, key):
            skipped.append("daily_requests")
        else:
            source = "platform" if key.tenant_id is None else "tenant"
            return Lease(key.id, decrypt(key.api_key_encrypted), key.base_url or None, source)
    raise NoUsableKey(f"no usable provider key for {model}: " + ", ".join(sorted(set(skipped))))


async def _count(session: AsyncSession, key_id: uuid.UUID, **increments: int) -> None:
    upsert = insert(ProviderKeyUsage).values(key_id=key_id, day=today(), **increments)
    upsert = upsert.on_conflict_do_update(
        index_elements=["key_id", "day"],
        set_={name: getattr(ProviderKeyUsage, name) + value for name, value in increments.items()},
    )
    await session.exec(upsert)  # type: ignore[call-overload]


async def record_success(*, session: AsyncSession, key_id: uuid.UUID, completion: Completion) -> None:
    """The tokens from the provider's usage; the key's authentication failures and cooldown end."""
    touched = await session.exec(
        sa.update(ProviderKey)
        .where(ProviderKey.id == key_id)
        .values(auth_failures=0, cooldown_until=None, last_used_at=utcnow())
        .returning(ProviderKey.id)
    )
    if touched.first() is None:  # deleted meanwhile
        return
    await _count(
        session, key_id, prompt_tokens=completion.prompt_tokens, completion_tokens=completion.completion_tokens
    )


def _cooldown_s(exc: LLMUnavailable) -> float | None:
    if exc.status == 429:
        return min(MAX_COOLDOWN_S, exc.retry_after_s if exc.retry_after_s is not None else COOLDOWN_RATE_LIMITED_S)
    if exc.status is None or exc.status >= 500:
        return min(MAX_COOLDOWN_S, exc.retry_after_s or COOLDOWN_FAILED_S)
    return None  # another 4xx: the request, not the key (the turn still tries the next key)


async def record_failure(*, session: AsyncSession, key_id: uuid.UUID, error: LLMUnavailable) -> None:
    """Count the error; cool the key down, or count an authentication failure and park it after three in a row."""
    key = await session.get(ProviderKey, key_id, with_for_update=True)
    if key is None:  # deleted meanwhile
        return
    await _count(session, key_id, errors=1, rate_limited=int(error.status == 429))
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
) -> Completion:
    """One turn's completion: keys in order, the next one after a failure, until one answers. When every usable key
    has failed, those that failed with a 5xx/timeout are tried again after each of `retry_delays_s` (so does the
    settings endpoint); then the last provider error (or NoUsableKey when no key could be used at all) is raised."""
    tried: set[uuid.UUID] = set()  # failed in this turn
    transient: set[uuid.UUID] = set()  # of those, cooled down by this turn for a 5xx/timeout
    delays, last_error = list(retry_delays_s), None
    while True:
        try:
            async with session_scope() as session:
                picked = await lease(
                    session=session, tenant_id=tenant_id, model=model,
                    exclude=frozenset(tried), retrying=frozenset(transient - tried),
                )  # fmt: skip
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
                await record_failure(session=session, key_id=picked.key_id, error=exc)
            tried.add(picked.key_id)
            if _transient(exc):
                transient.add(picked.key_id)
            else:
                transient.discard(picked.key_id)
            last_error = exc
            continue
        if picked.key_id is not None:
            async with session_scope() as session:
                await record_success(session=session, key_id=picked.key_id, completion=completion)
        return completion
