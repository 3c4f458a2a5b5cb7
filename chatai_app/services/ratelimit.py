"""Sliding-window rate limits shared by every worker: Redis when configured, else PostgreSQL.

The sliding-window counter weighs the previous fixed window by how much of it still
overlaps the last `window_s` seconds, so a burst cannot double up across a boundary.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import Protocol

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlmodel.ext.asyncio.session import AsyncSession

from chatai_app.db import session_scope
from chatai_app.models import RateLimitBucket
from chatai_app.services.errors import RateLimited
from chatai_app.settings import get_settings


class RateLimiter(Protocol):
    async def hit(self, key: str, *, limit: int, window_s: int) -> int:
        """Count one hit; return 0 when allowed, else seconds to wait."""
        ...


@dataclass(frozen=True)
class Window:
    start: int
    previous_start: int
    elapsed_fraction: float
    seconds_left: int

    @classmethod
    def now(cls, window_s: int) -> Window:
        now = time.time()
        start = int(now) - int(now) % window_s
        return cls(start, start - window_s, (now - start) / window_s, max(1, start + window_s - int(now)))

    def verdict(self, current_hits: int, previous_hits: int, limit: int) -> int:
        estimate = previous_hits * (1 - self.elapsed_fraction) + current_hits
        return 0 if estimate <= limit else self.seconds_left


def _at(epoch_s: int) -> datetime:
    return datetime.fromtimestamp(epoch_s, UTC)


class PostgresRateLimiter:
    """Counts in `rate_limit_buckets` in its own transaction, so a failed login still counts."""

    async def hit(self, key: str, *, limit: int, window_s: int) -> int:
        async with session_scope() as session:
            return await self.hit_in(session, key, limit=limit, window_s=window_s)

    @staticmethod
    async def hit_in(session: AsyncSession, key: str, *, limit: int, window_s: int) -> int:
        """`hit` inside the caller's transaction (the provider key pool counts with the request it reserves)."""
        window = Window.now(window_s)
        upsert = (
            insert(RateLimitBucket)
            .values(key=key, window_start=_at(window.start), hits=1)
            .on_conflict_do_update(index_elements=["key", "window_start"], set_={"hits": RateLimitBucket.hits + 1})
            .returning(RateLimitBucket.hits)
        )
        previous = sa.select(RateLimitBucket.hits).where(
            RateLimitBucket.key == key, RateLimitBucket.window_start == _at(window.previous_start)
        )
        current_hits = (await session.exec(upsert)).scalar_one()
        previous_hits = (await session.exec(previous)).scalar_one_or_none() or 0
        if current_hits == 1:  # first hit of a new window: drop windows that no longer count
            await session.exec(
                sa.delete(RateLimitBucket).where(
                    RateLimitBucket.key == key, RateLimitBucket.window_start < _at(window.previous_start)
                )
            )
        return window.verdict(current_hits, previous_hits, limit)


class RedisRateLimiter:
    def __init__(self, redis_url: str) -> None:
        from redis.asyncio import Redis

        self._redis = Redis.from_url(redis_url)

    async def hit(self, key: str, *, limit: int, window_s: int) -> int:
        window = Window.now(window_s)
        current_key, previous_key = f"chatai:rl:{key}:{window.start}", f"chatai:rl:{key}:{window.previous_start}"
        async with self._redis.pipeline(transaction=True) as pipe:
            current_hits, _, previous_hits = (
                await pipe.incr(current_key).expire(current_key, 2 * window_s + 1).get(previous_key).execute()
            )
        return window.verdict(int(current_hits), int(previous_hits or 0), limit)

    async def close(self) -> None:
        await self._redis.aclose()


def build_rate_limiter(redis_url: str | None) -> RateLimiter:
    return RedisRateLimiter(redis_url) if redis_url else PostgresRateLimiter()


@lru_cache
def default_limiter() -> RateLimiter:
    """The process's limiter: Redis when REDIS_URL is set, else PostgreSQL."""
    return build_rate_limiter(get_settings().redis_url)


async def enforce_each(limiter: RateLimiter, limits: dict[str, int], *, window_s: int = 60) -> None:
    """Like `enforce`, with a limit per key."""
    waits = [await limiter.hit(key, limit=limit, window_s=window_s) for key, limit in limits.items() if limit > 0]
    if worst := max(waits, default=0):
        raise RateLimited(worst)


async def enforce(limiter: RateLimiter, keys: list[str], *, limit: int, window_s: int = 60) -> None:
    """Count a hit on every key; raise RateLimited if any is over its limit."""
    waits = [await limiter.hit(key, limit=limit, window_s=window_s) for key in keys]
    if worst := max(waits, default=0):
        raise RateLimited(worst)
