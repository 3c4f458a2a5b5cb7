"""Chat over the JSON API: whole replies, a server-sent event stream, settings, dialogs."""

from __future__ import annotations

import asyncio
import json

from chatai_app.api.chat_routes import QueueSink, sse
from tests.engine.test_conversation import KNOWLEDGE
from tests.knowledge.conftest import drain_queue
from tests.test_api import SIGNUP, _client


async def test_chat_json_sse_settings_and_dialogs(clean_db: str) -> None:
    async with _client() as api:
        tokens = (await api.post("/api/v1/auth/signup", json=SIGNUP)).json()
        auth = {"Authorization": f"Bearer {tokens['access_token']}"}
        assistant = (await api.post("/api/v1/assistants", json={"name": "Bot"}, headers=auth)).json()
        base = f"/api/v1/assistants/{assistant['id']}"
        await api.post(f"{base}/documents", files={"file": ("d.txt", KNOWLEDGE, "text/plain")}, headers=auth)
        await drain_queue()

        bad = await api.patch(base, json={"temperature": 7, "tone": "rude", "colour": "red"}, headers=auth)
        assert bad.status_code == 422 and set(bad.json()["fields"]) == {"temperature", "tone", "colour"}
        good = await api.patch(base, json={"greeting": "Hi!", "handoff_keywords": ["manager"]}, headers=auth)
        assert good.status_code == 200 and good.json()["handoff_keywords"] == ["manager"]

        reply = (
            await api.post(
                f"{base}/chat", json={"text": "How much is courier delivery?", "conversation_id": "u1"}, headers=auth
            )
        ).json()
        assert reply["outcome"] == "answered" and "300 roubles" in reply["reply_text"]

        async with api.stream(
            "POST",
            f"{base}/chat?stream=true",
            json={"text": "delivery to Kazan?", "conversation_id": "u1"},
            headers=auth,
        ) as response:
            assert response.headers["content-type"].startswith("text/event-stream")
            events = [line async for line in response.aiter_lines() if line.startswith("event: ")]
            body = response
        assert events.count("event: delta") > 3 and events[-1] == "event: done"
        assert body.status_code == 200

        handoff = (
            await api.post(f"{base}/chat", json={"text": "get me a manager", "conversation_id": "u2"}, headers=auth)
        ).json()
        assert handoff["outcome"] == "handoff"

        empty = await api.post(f"{base}/chat", json={"text": "  "}, headers=auth)
        assert empty.status_code == 422

        listed = (await api.get("/api/v1/dialogs", params={"status": "waiting"}, headers=auth)).json()
        assert [d["external_chat_id"] for d in listed] == ["u2"]
        everything = (await api.get("/api/v1/dialogs", headers=auth)).json()
        u1 = next(d for d in everything if d["external_chat_id"] == "u1")
        transcript = (await api.get(f"/api/v1/dialogs/{u1['id']}/messages", headers=auth)).json()
        assert [m["role"] for m in transcript] == ["user", "assistant", "user", "assistant"]
        assert json.dumps(transcript[1]["sources"]).count("d.txt") >= 1


async def test_the_stream_ends_when_the_turn_does_not_at_the_next_poll() -> None:
    """Every piece the turn streamed, in order, then the end as soon as the turn is over: a turn that streams
    nothing (a handoff, a notice) used to wait for a 0.1 s poll before its `done` (issue 16)."""
    sink, finish = QueueSink(), asyncio.Event()

    async def turn() -> None:
        await sink.delta("Two ")
        await sink.reset()
        await sink.delta("days")
        await finish.wait()

    task = asyncio.create_task(turn())
    loop = asyncio.get_running_loop()
    pieces: list[bytes] = []
    ended_at = 0.0

    async def read() -> None:
        nonlocal ended_at
        async for piece in sink.drain(task):
            pieces.append(piece)
        ended_at = loop.time()

    reader = asyncio.create_task(read())
    await asyncio.sleep(0.01)
    finished_at = loop.time()
    finish.set()
    await reader
    assert pieces == [sse("delta", {"text": "Two "}), sse("reset", {"text": ""}), sse("delta", {"text": "days"})]
    assert ended_at - finished_at < 0.05  # the end is queued behind the last piece, not found by polling
