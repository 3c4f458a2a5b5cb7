"""Monitoring aggregations and the per-message trace (issue 14), on a real PostgreSQL, Redis and job queue."""

from __future__ import annotations

import logging
import os
import uuid

import pytest

from chatai_app.db import session_scope
from chatai_app.models import BotInstance, Membership
from chatai_app.services import conversation, dialogs, logbook, monitoring, presence, tracing
from chatai_app.services.conversation import Incoming
from chatai_app.services.errors import NotFound
from chatai_app.services.knowledge import documents
from tests.knowledge.conftest import Workspace, drain_queue

REDIS_URL = os.environ.get("CHATAI_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
KNOWLEDGE = b"# Delivery\n\nParcels to Kazan arrive in three days. Courier delivery costs 300 roubles."


async def _knowledge(ws: Workspace) -> None:
    async with session_scope() as session:
        await documents.add_document(
            session=session, tenant_id=ws.tenant_id, assistant_id=ws.assistant_id, filename="d.txt", data=KNOWLEDGE
        )
    await drain_queue()


def _say(ws: Workspace, text: str, channel: str = "api", chat: str = "chat-1") -> Incoming:
    return Incoming(ws.tenant_id, ws.assistant_id, channel, chat, text)


async def test_trace_of_a_message_has_every_stage_in_order(shop: Workspace, rival: Workspace) -> None:
    await _knowledge(shop)
    result = await conversation.handle_incoming(_say(shop, "How long does delivery to Kazan take?"))
    assert result.outcome == "answered" and result.reply_message_id
    async with session_scope() as session:
        trace = await tracing.message_trace(session=session, message_id=result.user_message_id)
        by_reply = await tracing.message_trace(session=session, message_id=result.reply_message_id)
        owners = await tracing.message_trace(
            session=session, message_id=result.user_message_id, tenant_id=shop.tenant_id
        )
        with pytest.raises(NotFound):  # another workspace's owner never sees it
            await tracing.message_trace(session=session, message_id=result.user_message_id, tenant_id=rival.tenant_id)
    assert trace == by_reply == owners
    assert [s.stage for s in trace.steps] == list(tracing.STAGES)
    marks = [s.at_ms for s in trace.steps]
    assert None not in marks and marks == sorted(marks), trace.steps
    assert trace.reply_id == result.reply_message_id and trace.question.startswith("How long")
    assert trace.outcome == "ok" and trace.facts["hits"] >= 1 and trace.facts["tokens"] > 0
    assert trace.channel == "api" and trace.dialog_id == result.dialog_id
    async with session_scope() as session:  # the owner's Dialogs shows the reply's timing from the same trace
        lines = await dialogs.transcript(session=session, tenant_id=shop.tenant_id, dialog_id=result.dialog_id)
    assert lines[0].trace is None and lines[1].trace["stages"]["charged"] == trace.steps[4].at_ms  # type: ignore[index]


async def test_small_talk_and_unanswered_messages_are_traced_without_a_charge(shop: Workspace) -> None:
    hello = await conversation.handle_incoming(_say(shop, "Hello!"))
    async with session_scope() as session:
        trace = await tracing.message_trace(session=session, message_id=hello.user_message_id)
    steps = {s.stage: s.at_ms for s in trace.steps}
    assert steps["stored"] is not None and steps["charged"] is None and steps["llm"] is None
    assert steps["delivered"] is not None and trace.reply_id == hello.reply_message_id


async def test_log_records_of_a_turn_name_its_tenant_and_dialog(shop: Workspace, clean_db: str) -> None:
    handler = logbook.install(clean_db, "test")
    assert handler is not None
    try:
        dialog_id = uuid.uuid4()
        with tracing.recording(shop.tenant_id):
            logging.getLogger("chatai_app.test").info("before the message is stored")
            tracing.mark_stored(dialog_id, 1)
            logging.getLogger("chatai_app.test").info("after the message is stored")
        logging.getLogger("chatai_app.test").info("outside any turn")
        handler.flush_now()
        async with session_scope() as session:
            found = await logbook.recent(session=session, text="stored")
            of_dialog = await logbook.recent(session=session, dialog_id=dialog_id)
            outside = await logbook.recent(session=session, text="outside any turn")
    finally:
        logging.getLogger().removeHandler(handler)
        logbook._installed = None
    assert {(r.message, r.tenant_id, r.dialog_id) for r in found} == {
        ("before the message is stored", str(shop.tenant_id), ""),
        ("after the message is stored", str(shop.tenant_id), str(dialog_id)),
    }
    assert [r.message for r in of_dialog] == ["after the message is stored"]
    assert (outside[0].tenant_id, outside[0].dialog_id) == ("", "")


async def test_hourly_series_count_messages_by_channel_and_llm_latency(shop: Workspace) -> None:
    await _knowledge(shop)
    await conversation.handle_incoming(_say(shop, "How long does delivery to Kazan take?"))
    await conversation.handle_incoming(_say(shop, "What does courier delivery cost?", channel="widget", chat="v1"))
    await conversation.handle_incoming(_say(shop, "Hello!", channel="widget", chat="v2"))
    async with session_scope() as session:
        messages = await monitoring.messages_per_hour(session=session, hours=24)
        llm = await monitoring.llm_per_hour(session=session, hours=6)
        jobs = await monitoring.jobs(session=session)
    assert len(messages) == 24 and len(llm) == 6
    # totals over the buckets: the seeding may cross an hour boundary
    assert {c: sum(m[c] for m in messages) for c in monitoring.CHANNELS} == {
        "telegram": 0, "widget": 2, "api": 1, "playground": 0
    }  # fmt: skip
    busy = [h for h in llm if h["replies"]]
    assert sum(h["replies"] for h in busy) == 2 and sum(h["errors"] for h in llm) == 0
    assert all(h["turn_p95_ms"] >= h["p95_ms"] >= h["p50_ms"] >= 0 for h in busy)
    assert sum(h["deferred"] for h in jobs.per_hour) >= 1 and sum(h["succeeded"] for h in jobs.per_hour) >= 1
    assert jobs.depth == {"todo": 0, "doing": 0, "failed": 0}


async def test_bots_operators_widget_streams_and_health(shop: Workspace, clean_db: str) -> None:
    async with session_scope() as session:
        session.add(BotInstance(tenant_id=shop.tenant_id, assistant_id=shop.assistant_id, telegram_bot_id=42,
                                username="shop_bot", token_encrypted="x", status="error",
                                last_error="Unauthorized: the token was revoked"))  # fmt: skip
        session.add(BotInstance(tenant_id=shop.tenant_id, assistant_id=shop.assistant_id, telegram_bot_id=43,
                                username="ok_bot", token_encrypted="x", status="running"))  # fmt: skip
        owner = (await session.exec(Membership.__table__.select())).first()  # type: ignore[attr-defined,call-overload]
        await presence.heartbeat(session=session, tenant_id=shop.tenant_id, user_id=owner.user_id, status="online")
    async with session_scope() as session:
        bots = await monitoring.bots(session=session)
        operators = await monitoring.operators_online(session=session)
        before = await monitoring.widget_activity(session=session)

        async def events():
            yield b"one"
            yield b"two"

        stream = monitoring.counted_stream(events())
        assert await anext(stream) == b"one"
        during = await monitoring.widget_activity(session=session)
        assert [chunk async for chunk in stream] == [b"two"]
        after = await monitoring.widget_activity(session=session)
        checks = {h.name: h for h in await monitoring.health(session=session, redis_url=REDIS_URL)}
        without_redis = {h.name: h for h in await monitoring.health(session=session, redis_url=None)}
        unreachable = {h.name: h for h in await monitoring.health(session=session, redis_url="redis://127.0.0.1:1/0")}
    assert bots.by_status == {"error": 1, "running": 1}
    assert [(b["bot"], b["error"]) for b in bots.failing] == [("@shop_bot", "Unauthorized: the token was revoked")]
    assert operators == {"online": 1, "away": 0}
    assert during["streams"] == before["streams"] + 1 and after["streams"] == before["streams"]
    assert checks["database"].state == "ok" and checks["redis"].state == "ok"
    assert checks["queue"].state == "down" and "no worker" in checks["queue"].detail  # no worker runs in tests
    assert without_redis["redis"].state == "off" and unreachable["redis"].state == "down"
    assert checks["process:web"].state == "off"  # not under `chatai run`


def test_processes_come_from_the_supervisor_status(tmp_path, monkeypatch) -> None:
    import json
    import time

    from chatai_app import supervision

    path = tmp_path / "supervisor.json"
    path.write_text(json.dumps({
        "supervisor": {"updated_at": time.time()},
        "processes": {"web": {"state": "running", "restarts": 0},
                      "worker": {"state": "restarting", "restarts": 3, "last_exit": "killed by SIGKILL"}},
        "database": {"state": "up", "restarts": 1},
    }))  # fmt: skip
    monkeypatch.setenv(supervision.STATUS_ENV, str(path))
    found = {h.name: h for h in monitoring._processes(supervision.read_status())}
    assert found["process:web"].state == "ok" and found["process:postgres"].state == "ok"
    assert found["process:worker"].state == "degraded" and "SIGKILL" in found["process:worker"].detail


def test_json_lines_carry_the_request_tenant_and_dialog_ids() -> None:
    import io
    import json

    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(logbook.JsonLines("web"))
    log = logging.getLogger("chatai_app.json_test")
    log.addHandler(handler)
    tenant, dialog = uuid.uuid4(), uuid.uuid4()
    token = logbook.request_context.set("req42")
    try:
        with tracing.recording(tenant):
            tracing.mark_stored(dialog, 7)
            log.warning("inside a turn")
        log.warning("after the turn")
    finally:
        logbook.request_context.reset(token)
        log.removeHandler(handler)
    inside, after = (json.loads(line) for line in out.getvalue().splitlines())
    assert inside["message"] == "inside a turn" and inside["level"] == "WARNING" and inside["process"] == "web"
    assert (inside["request_id"], inside["tenant_id"], inside["dialog_id"]) == ("req42", str(tenant), str(dialog))
    assert "tenant_id" not in after and "dialog_id" not in after and after["request_id"] == "req42"


async def test_admin_api_serves_monitoring_traces_and_settings(shop: Workspace, clean_db: str) -> None:
    from chatai_app.services import accounts
    from tests.team.conftest import _client, log_in

    result = await conversation.handle_incoming(_say(shop, "Hello!"))
    async with session_scope() as session:
        await accounts.create_admin(session=session, email="root@example.com", password="correct horse battery 1")
    async with _client() as api:
        admin = await log_in(api, "root@example.com")
        snapshot = (await api.get("/api/v1/admin/monitoring", params={"hours": 6}, headers=admin)).json()
        trace = (await api.get(f"/api/v1/admin/messages/{result.user_message_id}/trace", headers=admin)).json()
        missing = await api.get("/api/v1/admin/messages/999999/trace", headers=admin)
        settings = (await api.get("/api/v1/admin/settings", headers=admin)).json()
        refused = await api.put("/api/v1/admin/settings", json={"handoff.fallback_after": 11}, headers=admin)
    assert len(snapshot["messages_per_hour"]) == 6 and sum(h["api"] for h in snapshot["messages_per_hour"]) == 1
    assert {h["name"] for h in snapshot["health"]} >= {"database", "queue", "redis"}
    assert [s["stage"] for s in trace["steps"]] == list(tracing.STAGES) and trace["reply_id"] == result.reply_message_id
    assert missing.status_code == 404 and settings["features.signup_open"] is True
    assert refused.status_code == 422 and "handoff.fallback_after" in refused.json()["fields"]
