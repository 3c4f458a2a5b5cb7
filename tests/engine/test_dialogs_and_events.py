"""Dialog listing/search/transcripts and the event bus (PostgreSQL LISTEN/NOTIFY and Redis pub/sub)."""

from __future__ import annotations

import asyncio
import os
from datetime import UTC, datetime, timedelta

import pytest

from chatai_app.db import session_scope
from chatai_app.services import conversation, dialogs
from chatai_app.services.conversation import Incoming
from chatai_app.services.errors import NotFound
from chatai_app.services.events import Event, EventHub, PostgresEventBus, RedisEventBus
from tests.knowledge.conftest import Workspace
from tests.test_ratelimit import REDIS_URL, _redis_available


async def test_dialogs_filter_search_and_transcript(shop: Workspace, rival: Workspace) -> None:
    for chat, text in (("a", "Where is my parcel?"), ("b", "Do you sell roses?")):
        await conversation.handle_incoming(Incoming(shop.tenant_id, shop.assistant_id, "api", chat, text))
    await conversation.handle_incoming(Incoming(rival.tenant_id, rival.assistant_id, "widget", "z", "parcel?"))
    async with session_scope() as session:
        everything = await dialogs.list_dialogs(session=session, tenant_id=shop.tenant_id)
        roses = await dialogs.list_dialogs(
            session=session, tenant_id=shop.tenant_id, filters=dialogs.DialogFilter(text="roses")
        )
        widget = await dialogs.list_dialogs(
            session=session, tenant_id=shop.tenant_id, filters=dialogs.DialogFilter(channel="widget")
        )
        future = await dialogs.list_dialogs(
            session=session,
            tenant_id=shop.tenant_id,
            filters=dialogs.DialogFilter(since=datetime.now(UTC) + timedelta(days=1)),
        )
        lines = await dialogs.transcript(session=session, tenant_id=shop.tenant_id, dialog_id=roses[0].id)
        with pytest.raises(NotFound):
            await dialogs.transcript(session=session, tenant_id=rival.tenant_id, dialog_id=roses[0].id)
    assert len(everything) == 2 and [d.external_chat_id for d in roses] == ["b"]
    assert widget == [] and future == []  # the rival's widget dialog is not ours
    assert [m.role for m in lines] == ["user", "assistant"]


async def _roundtrip(bus: object) -> Event:
    hub = EventHub(lambda: bus)  # type: ignore[arg-type, return-value]
    try:
        async with hub.listen() as queue:
            await asyncio.sleep(0.3)  # the subscription is live
            await bus.publish(Event("message.created", "t-1", {"dialog_id": "d-1"}))  # type: ignore[attr-defined]
            return await asyncio.wait_for(queue.get(), timeout=5)
    finally:
        await hub.close()


async def test_postgres_listen_notify_bus(database_url: str) -> None:
    bus = PostgresEventBus(database_url)
    try:
        event = await _roundtrip(bus)
    finally:
        await bus.close()
    assert (event.type, event.tenant_id, event.data) == ("message.created", "t-1", {"dialog_id": "d-1"})


async def test_redis_pubsub_bus() -> None:
    if not _redis_available():
        if os.environ.get("CI"):
            pytest.fail(f"Redis is required in CI at {REDIS_URL}")
        pytest.skip(f"no Redis at {REDIS_URL}")
    bus = RedisEventBus(REDIS_URL)
    try:
        event = await _roundtrip(bus)
    finally:
        await bus.close()
    assert event == Event("message.created", "t-1", {"dialog_id": "d-1"})
