"""The event channel is per deployment (issue 19, item 5): two deployments on one Redis, or on one PostgreSQL
server, never hear each other's events; the namespace is CHATAI_EVENT_NAMESPACE, else the database's name."""

from __future__ import annotations

import asyncio
import os
import secrets
from contextlib import AsyncExitStack

import pytest

from chatai_app.services.events import Event, EventHub, PostgresEventBus, RedisEventBus
from chatai_app.settings import get_settings
from tests.test_ratelimit import REDIS_URL, _redis_available


def _require_redis() -> None:
    if not _redis_available():
        if os.environ.get("CI"):
            pytest.fail(f"Redis is required in CI at {REDIS_URL}")
        pytest.skip(f"no Redis at {REDIS_URL}")


async def _heard(buses: list[object], sent: list[Event]) -> list[list[Event]]:
    """Every bus listens; each publishes its own event; what each one heard within a second."""
    hubs = [EventHub(lambda bus=bus: bus) for bus in buses]  # type: ignore[misc]
    try:
        async with AsyncExitStack() as stack:
            queues = [await stack.enter_async_context(hub.listen()) for hub in hubs]
            await asyncio.sleep(0.3)  # the subscriptions are live
            for bus, event in zip(buses, sent, strict=True):
                await bus.publish(event)  # type: ignore[attr-defined]
            await asyncio.sleep(1.0)
            return [[queue.get_nowait() for _ in range(queue.qsize())] for queue in queues]
    finally:
        for hub in hubs:
            await hub.close()


async def test_two_deployments_on_one_redis_do_not_hear_each_other() -> None:
    _require_redis()
    run = secrets.token_hex(4)  # other test runs may share this Redis database
    a = RedisEventBus(REDIS_URL, namespace=f"shop-a-{run}")
    b = RedisEventBus(REDIS_URL, namespace=f"shop-b-{run}")
    a_again = RedisEventBus(REDIS_URL, namespace=f"shop-a-{run}")  # another process of deployment A
    events = [Event("message.created", "tenant-a", {"n": 1}), Event("message.created", "tenant-b", {"n": 2}),
              Event("bot.changed", "tenant-a", {"n": 3})]  # fmt: skip
    try:
        heard = await _heard([a, b, a_again], events)
    finally:
        for bus in (a, b, a_again):
            await bus.close()
    assert a.channel != b.channel and a.channel == a_again.channel
    assert sorted(e.data["n"] for e in heard[0]) == [1, 3]  # its own and its sibling's, not B's
    assert [e.data["n"] for e in heard[1]] == [2]
    assert sorted(e.data["n"] for e in heard[2]) == [1, 3]


async def test_the_namespace_defaults_to_the_database_name_and_the_redis_database(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _require_redis()
    monkeypatch.delenv("CHATAI_EVENT_NAMESPACE", raising=False)
    channels = {}
    for name in ("shop_a", "shop_b"):
        monkeypatch.setenv("DATABASE_URL", f"postgresql://chatai@db.example/{name}")
        get_settings.cache_clear()
        bus = RedisEventBus(REDIS_URL)
        channels[name] = bus.channel
        await bus.close()
    other_db = REDIS_URL.rsplit("/", 1)[0] + "/14"
    bus = RedisEventBus(other_db)
    channels["shop_b on db 14"] = bus.channel
    await bus.close()
    monkeypatch.setenv("CHATAI_EVENT_NAMESPACE", "Staging EU")
    get_settings.cache_clear()
    bus = RedisEventBus(REDIS_URL)
    channels["setting"] = bus.channel
    await bus.close()
    get_settings.cache_clear()
    assert channels["shop_a"].startswith("chatai_events_shop_a_db") and "shop_b" in channels["shop_b"]
    assert len(set(channels.values())) == 4, channels
    assert channels["setting"].startswith("chatai_events_staging_eu_db")


async def test_postgres_buses_of_two_namespaces_do_not_hear_each_other(database_url: str) -> None:
    a = PostgresEventBus(database_url, namespace="one")
    b = PostgresEventBus(database_url, namespace="two")
    try:
        heard = await _heard([a, b], [Event("message.created", "t", {"n": 1}), Event("message.created", "t", {"n": 2})])
    finally:
        await a.close()
        await b.close()
    assert [[e.data["n"] for e in h] for h in heard] == [[1], [2]]
