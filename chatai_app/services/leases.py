"""Leases that spread bots over several fleet processes: whoever holds a bot's lease runs it, and each live
fleet announces itself, so that every fleet can take its fair share, ceil(bots / live fleets), and give back
what it holds beyond it (bot_fleet/fleet.py).

PostgreSQL on the embedded default: a bot's lease is an advisory lock and a fleet's presence is another one
(two-key form, its own class), all held by one connection; the server releases them the moment the process
dies, and `pg_locks` shows who is alive. With REDIS_URL: a fleet renews a presence entry (a sorted set, scored
by when it expires) every HEARTBEAT_EVERY_S; a bot's lease is a key naming its holder, and it may be taken over
as soon as that holder's presence has expired, so a killed fleet's bots move within PRESENCE_TTL_MS plus one
resync, with one renewal (a heartbeat) per fleet instead of one per bot.
"""

from __future__ import annotations

import asyncio
import secrets
from typing import Any, Protocol

from chatai_app.settings import get_settings

PRESENCE_TTL_MS = 5000  # a fleet not heard of for this long is dead: its bots may be taken
HEARTBEAT_EVERY_S = 1.0  # how often a fleet renews its presence (a task of its own: a slow resync cannot stop it)
HOLD_TTL_MS = 3_600_000  # a Redis lease key outlives a crashed holder this long at most (garbage, not safety)
FLEET_LOCK_CLASS = 1_751_477  # PostgreSQL: the advisory-lock class of fleet presence (two-key locks)


class LeaseManager(Protocol):
    async def heartbeat(self) -> int:
        """Announce this fleet alive; how many fleets are alive, this one included."""
        ...

    async def acquire(self, name: str) -> bool: ...

    async def release(self, name: str) -> None: ...

    async def renew(self) -> set[str]:
        """Keep every held lease; returns the names still held."""
        ...

    async def close(self) -> None: ...


class PostgresLeases:
    """One connection holds every lock of this fleet; one call at a time uses it (the heartbeat runs beside the
    fleet's resync: two calls opening a connection at once would leave a second one holding a presence)."""

    LIVE_FLEETS = (
        "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted AND objsubid = 2"
        " AND classid = %s::oid AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
    )

    def __init__(self, database_url: str) -> None:
        self._url = database_url.replace("postgresql+psycopg://", "postgresql://", 1)
        self._conn: Any = None
        self._held: set[str] = set()
        self._present = False
        self._lock = asyncio.Lock()

    async def _connection(self) -> Any:
        import psycopg

        if self._conn is None or self._conn.closed:
            self._conn = await psycopg.AsyncConnection.connect(self._url, autocommit=True)
            self._held.clear()  # a new connection holds nothing
            self._present = False
        return self._conn

    def _lost(self) -> None:
        self._conn = None
        self._held.clear()
        self._present = False

    async def heartbeat(self) -> int:
        import psycopg

        async with self._lock:
            try:
                conn = await self._connection()
                while not self._present:  # a random member id; another fleet with the same one: draw again
                    member = secrets.randbelow(2**31 - 1) + 1
                    sql = "SELECT pg_try_advisory_lock(%s, %s)"
                    self._present = bool((await (await conn.execute(sql, (FLEET_LOCK_CLASS, member))).fetchone())[0])
                live = (await (await conn.execute(self.LIVE_FLEETS, (FLEET_LOCK_CLASS,))).fetchone())[0]
            except psycopg.OperationalError:
                self._lost()
                raise
        return max(1, int(live))

    async def acquire(self, name: str) -> bool:
        async with self._lock:
            if name in self._held:
                return True
            conn = await self._connection()
            sql = "SELECT pg_try_advisory_lock(hashtextextended(%s, 0))"
            if (await (await conn.execute(sql, (name,))).fetchone())[0]:
                self._held.add(name)
                return True
            return False

    async def release(self, name: str) -> None:
        async with self._lock:
            if name in self._held and self._conn is not None and not self._conn.closed:
                await self._conn.execute("SELECT pg_advisory_unlock(hashtextextended(%s, 0))", (name,))
            self._held.discard(name)

    async def renew(self) -> set[str]:
        import psycopg

        async with self._lock:
            try:
                await (await self._connection()).execute("SELECT 1")
            except psycopg.OperationalError:
                self._lost()
            return set(self._held)

    async def close(self) -> None:
        async with self._lock:
            if self._conn is not None:
                await self._conn.close()  # the server releases every advisory lock of this session
            self._lost()


_NOW_MS = "local t = redis.call('time') local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) "


class RedisLeases:
    HEARTBEAT = _NOW_MS + (
        "redis.call('zadd', KEYS[1], now + tonumber(ARGV[2]), ARGV[1]) "
        "redis.call('zremrangebyscore', KEYS[1], '-inf', now) "
        "redis.call('pexpire', KEYS[1], ARGV[2]) "
        "return redis.call('zcard', KEYS[1])"
    )
    ACQUIRE = _NOW_MS + (
        "local holder = redis.call('get', KEYS[1]) "
        "if holder and holder ~= ARGV[1] then "
        "  local alive = redis.call('zscore', KEYS[2], holder) "
        "  if alive and tonumber(alive) > now then return 0 end "
        "end "
        "redis.call('set', KEYS[1], ARGV[1], 'px', ARGV[2]) "
        "return 1"
    )
    RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end"
    RENEW = (  # every held key at once: those still ours get their TTL back; returns which are ours
        "local ours = {} for i, key in ipairs(KEYS) do "
        "  if redis.call('get', key) == ARGV[1] then redis.call('pexpire', key, ARGV[2]) ours[#ours + 1] = i end "
        "end return ours"
    )

    def __init__(self, redis_url: str, *, namespace: str | None = None, presence_ttl_ms: int = PRESENCE_TTL_MS) -> None:
        from redis.asyncio import Redis

        from chatai_app.services.events import deployment_namespace

        self._redis = Redis.from_url(redis_url)
        self._owner = secrets.token_hex(8)
        self._prefix = f"chatai:{namespace or deployment_namespace()}:"
        self._held: set[str] = set()
        self._presence_ttl_ms = presence_ttl_ms

    def _key(self, name: str) -> str:
        return f"{self._prefix}lease:{name}"

    async def heartbeat(self) -> int:
        fleets = f"{self._prefix}fleets"
        return max(1, int(await self._redis.eval(self.HEARTBEAT, 1, fleets, self._owner, self._presence_ttl_ms)))

    async def acquire(self, name: str) -> bool:
        if name in self._held:
            return True
        ok = await self._redis.eval(self.ACQUIRE, 2, self._key(name), f"{self._prefix}fleets", self._owner,
                                    HOLD_TTL_MS)  # fmt: skip
        if ok:
            self._held.add(name)
        return bool(ok)

    async def release(self, name: str) -> None:
        await self._redis.eval(self.RELEASE, 1, self._key(name), self._owner)
        self._held.discard(name)

    async def renew(self) -> set[str]:
        names = sorted(self._held)
        if names:
            ours = await self._redis.eval(self.RENEW, len(names), *map(self._key, names), self._owner, HOLD_TTL_MS)
            self._held = {names[i - 1] for i in ours}  # someone else has the rest now: stop running them
        return set(self._held)

    async def close(self) -> None:
        for name in list(self._held):
            await self.release(name)
        await self._redis.zrem(f"{self._prefix}fleets", self._owner)
        await self._redis.aclose()


def build_lease_manager() -> LeaseManager:
    settings = get_settings()
    if settings.redis_url:
        return RedisLeases(settings.redis_url)
    return PostgresLeases(settings.require_database_url())
