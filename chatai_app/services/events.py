"""The event bus: PostgreSQL LISTEN/NOTIFY on the embedded default, Redis pub/sub when REDIS_URL is set.

Events are small JSON objects `{"type", "tenant_id", ...ids}`; listeners load what they need.
Types: message.created, dialog.updated, handoff.requested|taken|released|timeout, assistant.updated,
bot.changed, telegram.outbox, presence.changed.

The channel is namespaced per deployment: `chatai_events_<namespace>`, the namespace being
CHATAI_EVENT_NAMESPACE or else the database's name (Redis pub/sub ignores the Redis database number, so its
channel carries that number too): two deployments sharing a Redis never hear each other's events.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import re
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Protocol

from chatai_app.outages import OutageLog
from chatai_app.settings import get_settings

CHANNEL = "chatai_events"  # the prefix; see channel_name()
log = logging.getLogger(__name__)
OUTAGES = OutageLog(log)


@dataclass(frozen=True)
class Event:
    type: str
    tenant_id: str
    data: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> str:
        return json.dumps({"type": self.type, "tenant_id": self.tenant_id, **self.data}, default=str)

    @classmethod
    def from_json(cls, raw: str | bytes) -> Event:
        payload = json.loads(raw)
        return cls(payload.pop("type"), payload.pop("tenant_id"), payload)


class EventBus(Protocol):
    async def publish(self, event: Event) -> None: ...

    def subscribe(self) -> AsyncIterator[Event]: ...


def _libpq(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


def _database_name(url: str | None) -> str:
    if not url:
        return ""
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).database or ""
    except Exception:  # not a URL SQLAlchemy understands: the setting is the way to name the deployment
        return ""


def deployment_namespace(database_url: str | None = None) -> str:
    """CHATAI_EVENT_NAMESPACE, else the name of the deployment's database, else "default"."""
    settings = get_settings()
    return settings.event_namespace or _database_name(database_url or settings.database_url) or "default"


def channel_name(namespace: str, *, suffix: str = "") -> str:
    """A channel name that is also a valid PostgreSQL identifier (letters, digits, _; at most 63 bytes)."""
    slug = re.sub(r"[^a-z0-9_]+", "_", f"{namespace}{suffix}".lower()).strip("_") or "default"
    if len(slug) > 40:
        slug = f"{slug[:31]}_{hashlib.sha256(slug.encode()).hexdigest()[:8]}"
    return f"{CHANNEL}_{slug}"


class PostgresEventBus:
    """NOTIFY/LISTEN on one channel; payloads stay far below PostgreSQL's 8 kB limit."""

    def __init__(self, database_url: str, *, namespace: str | None = None) -> None:
        self._url = _libpq(database_url)
        self.channel = channel_name(namespace or deployment_namespace(database_url))
        self._publisher: Any = None
        self._lock = asyncio.Lock()

    async def publish(self, event: Event) -> None:
        import psycopg

        async with self._lock:
            for attempt in (1, 2):
                try:
                    if self._publisher is None or self._publisher.closed:
                        self._publisher = await psycopg.AsyncConnection.connect(self._url, autocommit=True)
                    await self._publisher.execute("SELECT pg_notify(%s, %s)", (self.channel, event.to_json()))
                    return
                except psycopg.OperationalError:
                    self._publisher = None
                    if attempt == 2:
                        raise

    async def subscribe(self) -> AsyncIterator[Event]:
        import psycopg

        async with await psycopg.AsyncConnection.connect(self._url, autocommit=True) as conn:
            await conn.execute(f"LISTEN {self.channel}")  # a plain identifier (channel_name)
            async for notify in conn.notifies():
                yield Event.from_json(notify.payload)

    async def close(self) -> None:
        if self._publisher is not None:
            await self._publisher.close()


class RedisEventBus:
    def __init__(self, redis_url: str, *, namespace: str | None = None) -> None:
        from redis.asyncio import Redis

        self._redis = Redis.from_url(redis_url)
        database = self._redis.connection_pool.connection_kwargs.get("db", 0)
        self.channel = channel_name(namespace or deployment_namespace(), suffix=f"_db{database}")

    async def publish(self, event: Event) -> None:
        await self._redis.publish(self.channel, event.to_json())

    async def subscribe(self) -> AsyncIterator[Event]:
        pubsub = self._redis.pubsub()
        await pubsub.subscribe(self.channel)
        try:
            async for message in pubsub.listen():
                if message["type"] == "message":
                    yield Event.from_json(message["data"])
        finally:
            await pubsub.aclose()

    async def close(self) -> None:
        await self._redis.aclose()


@lru_cache
def get_event_bus() -> EventBus:
    settings = get_settings()
    if settings.redis_url:
        return RedisEventBus(settings.redis_url)
    return PostgresEventBus(settings.require_database_url())


async def publish(event_type: str, tenant_id: object, **data: object) -> None:
    """Publish, never failing the caller: the state change is already committed; listeners can reload."""
    try:
        await get_event_bus().publish(Event(event_type, str(tenant_id), dict(data)))
    except Exception as exc:  # the bus being down must not lose the user's message
        if not OUTAGES.report(exc, where=f"publishing {event_type}"):
            log.exception("could not publish %s", event_type)


class EventHub:
    """One bus subscription per process, fanned out to any number of local listeners (open pages)."""

    def __init__(self, bus_factory: Callable[[], EventBus]) -> None:
        self._bus_factory = bus_factory
        self._queues: set[asyncio.Queue[Event]] = set()
        self._task: asyncio.Task[None] | None = None
        self.generation = 0  # events fanned out so far: a read started later reflects all of them (issue 16)

    async def _pump(self) -> None:
        while True:
            try:
                async for event in self._bus_factory().subscribe():
                    OUTAGES.recovered()
                    self.generation += 1
                    for queue in list(self._queues):
                        if queue.full():  # a stalled listener loses old events, never blocks the others
                            queue.get_nowait()
                        queue.put_nowait(event)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # a lost database: one line per kind, not a traceback a second
                if not OUTAGES.report(exc, where="event subscription"):
                    log.exception("event subscription lost; reconnecting")
                await asyncio.sleep(1)

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    @asynccontextmanager
    async def listen(self) -> AsyncIterator[asyncio.Queue[Event]]:
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._pump())
        queue: asyncio.Queue[Event] = asyncio.Queue(maxsize=1000)
        self._queues.add(queue)
        try:
            yield queue
        finally:
            self._queues.discard(queue)


@lru_cache
def get_event_hub() -> EventHub:
    return EventHub(get_event_bus)
