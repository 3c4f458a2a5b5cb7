"""Rate limiters against the real stores: PostgreSQL (embedded default) and Redis."""

from __future__ import annotations

import os
import uuid

import pytest
import redis

from chatai_app.services.errors import RateLimited
from chatai_app.services.ratelimit import PostgresRateLimiter, RedisRateLimiter, enforce

REDIS_URL = os.environ.get("CHATAI_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def _redis_available() -> bool:
    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


async def _exercise(limiter) -> None:
    key = f"test:{uuid.uuid4()}"
    waits = [await limiter.hit(key, limit=3, window_s=60) for _ in range(4)]
    assert waits[:3] == [0, 0, 0]
    assert 0 < waits[3] <= 60
    other = f"test:{uuid.uuid4()}"
    assert await limiter.hit(other, limit=3, window_s=60) == 0


async def test_postgres_limiter_counts_per_key(clean_db: str) -> None:
    await _exercise(PostgresRateLimiter())


async def test_redis_limiter_counts_per_key() -> None:
    if not _redis_available():
        if os.environ.get("CI"):
            pytest.fail(f"Redis is required in CI at {REDIS_URL}")
        pytest.skip(f"no Redis at {REDIS_URL}")
    limiter = RedisRateLimiter(REDIS_URL)
    try:
        await _exercise(limiter)
    finally:
        await limiter.close()


async def test_enforce_raises_with_retry_after(clean_db: str) -> None:
    limiter = PostgresRateLimiter()
    for _ in range(2):
        await enforce(limiter, ["a", "b"], limit=2)
    with pytest.raises(RateLimited) as caught:
        await enforce(limiter, ["b"], limit=2)
    assert 0 < caught.value.retry_after_s <= 60


def test_sliding_window_carries_the_previous_window_over_a_boundary() -> None:
    from chatai_app.services.ratelimit import Window

    just_after_boundary = Window(start=60, previous_start=0, elapsed_fraction=0.01, seconds_left=59)
    assert just_after_boundary.verdict(current_hits=1, previous_hits=10, limit=10) == 59
    late_in_window = Window(start=60, previous_start=0, elapsed_fraction=0.95, seconds_left=3)
    assert late_in_window.verdict(current_hits=1, previous_hits=10, limit=10) == 0
