"""Leases that spread bots over several fleet processes: whoever holds a bot's lease runs it.

PostgreSQL advisory locks on the embedded default (held by one connection; released by the server the
moment the process dies), Redis keys with a TTL when REDIS_URL is set (renewed while alive).
"""

from __future__ import annotations

import secrets
from typing import Any, Protocol

from chatai_app.settings import get_settings

LEASE_TTL_MS = 9000  # a dead holder's bots move within this (+ one resync)


class LeaseManager(Protocol):
    async def acquire(self, name: str) -> bool: ...

    async def release(self, name: str) -> None: ...

    async def renew(self) -> set[str]:
        """Keep every held lease alive; returns the names still held."""
        ...

    async def close(self) -> None: ...


class PostgresLeases:
    def __init__(self, database_url: str) -> None:
        self._url = database_url.replace("postgresql+psycopg://", "postgresql://", 1)
        self._conn: Any = None
        self._held: set[str] = set()

    async def _connection(self) -> Any:
        import psycopg

        if self._conn is None or self._conn.closed:
            self._conn = await psycopg.AsyncConnection.connect(self._url, autocommit=True)
            self._held.clear()  # a new connection holds nothing
        return self._conn

    async def acquire(self, name: str) -> bool:
        if name in self._held:
            return True
        conn = await self._connection()
        row = await (await conn.execute("SELECT pg_try_advisory_lock(hashtextextended(%s, 0))", (name,))).fetchone()
        if row[0]:
            self._held.add(name)
        return bool(row[0])

    async def release(self, name: str) -> None:
        if name in self._held and self._conn is not None and not self._conn.closed:
            await self._conn.execute("SELECT pg_advisory_unlock(hashtextextended(%s, 0))", (name,))
        self._held.discard(name)

    async def renew(self) -> set[str]:
        import psycopg

        try:
            await (await self._connection()).execute("SELECT 1")
        except psycopg.OperationalError:
            self._conn = None
            self._held.clear()
        return set(self._held)

    async def close(self) -> None:
        if self._conn is not None:
            await self._conn.close()  # the server releases every advisory lock of this session
        self._held.clear()


class RedisLeases:
    RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end"
    RENEW = (
        "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end"
    )

    def __init__(self, redis_url: str) -> None:
        from redis.asyncio import Redis

        self._redis = Redis.from_url(redis_url)
        self._owner = secrets.token_hex(8)
        self._held: set[str] = set()

    async def acquire(self, name: str) -> bool:
        ok = await self._redis.set(f"chatai:lease:{name}", self._owner, nx=True, px=LEASE_TTL_MS)
        if ok or await self._redis.get(f"chatai:lease:{name}") == self._owner.encode():
            self._held.add(name)
            return True
        return False

    async def release(self, name: str) -> None:
        await self._redis.eval(self.RELEASE, 1, f"chatai:lease:{name}", self._owner)
        self._held.discard(name)

    async def renew(self) -> set[str]:
        for name in list(self._held):
            if not await self._redis.eval(self.RENEW, 1, f"chatai:lease:{name}", self._owner, LEASE_TTL_MS):
                self._held.discard(name)  # someone else has it now: stop running it
        return set(self._held)

    async def close(self) -> None:
        for name in list(self._held):
            await self.release(name)
        await self._redis.aclose()


def build_lease_manager() -> LeaseManager:
    settings = get_settings()
    if settings.redis_url:
        return RedisLeases(settings.redis_url)
    return PostgresLeases(settings.require_database_url())
