"""Fixed-window rate limits shared by every worker: Redis when configured, else PostgreSQL."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Protocol

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert

from chatai_app.db import session_scope
from chatai_app.models import RateLimitBucket
from chatai_app.services.errors import RateLimited


class RateLimiter(Protocol):
    async def hit(self, key: str, *, limit: int, window_s: int) -> int:
        """Count one hit; return 0 when allowed, else seconds until the window resets."""
        ...


def _window(window_s: int) -> tuple[int, int]:
    now = int(time.time())
    start = now - now % window_s
    return start, start + window_s - now


class PostgresRateLimiter:
    """Counts in `rate_limit_buckets` in its own transaction, so a failed login still counts."""

    async def hit(self, key: str, *, limit: int, window_s: int) -> int:
        start, remaining = _window(window_s)
        stmt = (
            insert(RateLimitBucket)
            .values(key=key, window_start=datetime.fromtimestamp(start, UTC), hits=1)
            .on_conflict_do_update(index_elements=["key", "window_start"], set_={"hits": RateLimitBucket.hits + 1})
            .returning(RateLimitBucket.hits)
        )
        async with session_scope() as session:
            hits = (await session.exec(stmt)).scalar_one()
            if hits == 1:  # first hit of a new window: drop stale windows of this key
                await session.exec(
                    sa.delete(RateLimitBucket).where(
                        RateLimitBucket.key == key,
                        RateLimitBucket.window_start < datetime.fromtimestamp(start, UTC),
                    )
                )
        return 0 if hits <= limit else remaining


class RedisRateLimiter:
    def __init__(self, redis_url: str) -> None:
        from redis.asyncio import Redis

        self._redis = Redis.from_url(redis_url)

    async def hit(self, key: str, *, limit: int, window_s: int) -> int:
        start, remaining = _window(window_s)
        redis_key = f"chatai:rl:{key}:{start}"
        async with self._redis.pipeline(transaction=True) as pipe:
            hits, _ = await pipe.incr(redis_key).expire(redis_key, window_s + 1).execute()
        return 0 if hits <= limit else remaining

    async def close(self) -> None:
        await self._redis.aclose()


def build_rate_limiter(redis_url: str | None) -> RateLimiter:
    return RedisRateLimiter(redis_url) if redis_url else PostgresRateLimiter()


async def enforce(limiter: RateLimiter, keys: list[str], *, limit: int, window_s: int = 60) -> None:
    """Count a hit on every key; raise RateLimited if any is over its limit."""
    waits = [await limiter.hit(key, limit=limit, window_s=window_s) for key in keys]
    if worst := max(waits, default=0):
        raise RateLimited(worst)
