"""The widget's public API over real HTTP: allow-list, visitor tokens, streamed answers with source links,
live events (operator replies, typing, queue place), the human button, the offline form, bad input."""

from __future__ import annotations

import asyncio
import gzip
import json
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager, suppress
from typing import Any

import httpx
from sqlmodel import select

from chatai_app.db import session_scope
from chatai_app.models import HandoffAudit
from chatai_app.services import accounts, inbox, presence
from tests.engine.test_conversation import KNOWLEDGE
from tests.engine.test_handoff import _configure, _owner, _with_knowledge
from tests.knowledge.conftest import Workspace

SITE = "https://shop.example"


def _api(ws: Workspace) -> str:
    return f"/api/widget/v1/{ws.assistant_id}/"


async def _token(client: httpx.AsyncClient, ws: Workspace) -> str:
    response = await client.post(_api(ws) + "visitor", headers={"Origin": SITE})
    assert response.status_code == 201, response.text
    return response.json()["token"]


async def _send(client: httpx.AsyncClient, ws: Workspace, token: str, text: str) -> list[tuple[str, dict]]:
    events: list[tuple[str, dict]] = []
    headers = {"Origin": SITE, "X-Visitor-Token": token}
    async with client.stream("POST", _api(ws) + "messages", json={"text": text}, headers=headers) as response:
        assert response.status_code == 200
        name = ""
        async for line in response.aiter_lines():
            if line.startswith("event: "):
                name = line[7:]
            elif line.startswith("data: "):
                events.append((name, json.loads(line[6:])))
    return events


@asynccontextmanager
async def _following(client: httpx.AsyncClient, ws: Workspace, token: str) -> AsyncIterator[list[tuple[str, Any]]]:
    """Collect the visitor's server-sent events in the background."""
    seen: list[tuple[str, Any]] = []

    async def read() -> None:
        params = {"token": token}
        async with client.stream("GET", _api(ws) + "events", params=params, headers={"Origin": SITE}) as response:
            name = ""
            async for line in response.aiter_lines():
                if line.startswith("event: "):
                    name = line[7:]
                elif line.startswith("data: "):
                    seen.append((name, json.loads(line[6:])))

    task = asyncio.create_task(read())
    try:
        yield seen
    finally:
        task.cancel()
        with suppress(asyncio.CancelledError):
            await task


async def _until(check: Callable[[], bool], within_s: float = 10) -> None:
    deadline = asyncio.get_running_loop().time() + within_s
    while not check():
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.05)


async def test_allow_list_and_visitor_tokens(api_server: str, shop: Workspace, rival: Workspace) -> None:
    await _configure(shop, widget_settings={"allowed_origins": [SITE], "title": "Shop help", "colour": "#112233"})
    async with httpx.AsyncClient(base_url=api_server) as client:
        refused = await client.get(_api(shop) + "config", headers={"Origin": "https://evil.example"})
        assert refused.status_code == 403 and "https://evil.example is not allowed" in refused.json()["message"]
        preflight = await client.options(_api(shop) + "messages", headers={"Origin": "https://evil.example"})
        assert preflight.status_code == 403
        allowed = await client.get(_api(shop) + "config", headers={"Origin": SITE})
        assert allowed.status_code == 200 and allowed.headers["access-control-allow-origin"] == SITE
        config = {
            "assistant_id": str(shop.assistant_id), "title": "Shop help", "colour": "#112233", "position": "right",
            "language": "auto", "greeting": "", "handoff_button": True, "operators_online": False,
        }  # fmt: skip
        assert allowed.json() == config  # nobody is online yet
        async with session_scope() as session:
            owner = await _owner(shop)
            await presence.heartbeat(session=session, tenant_id=shop.tenant_id, user_id=owner, status="online")
        online = await client.get(_api(shop) + "config", headers={"Origin": SITE})
        assert online.json() == config | {"operators_online": True}
        anywhere = await client.get(_api(rival) + "config", headers={"Origin": "https://evil.example"})
        assert anywhere.status_code == 200  # an empty allow-list lets any site embed the widget
        assert anywhere.json()["operators_online"] is False  # the shop's operator does not count for the rival

        token = await _token(client, shop)
        no_token = await client.get(_api(shop) + "messages", headers={"Origin": SITE})
        assert no_token.status_code == 401 and "visitor token" in no_token.json()["message"]
        forged = token.split(".")[0] + ".0000"
        forged_call = await client.get(_api(shop) + "messages", headers={"Origin": SITE, "X-Visitor-Token": forged})
        assert forged_call.status_code == 401
        other_assistant = await client.get(_api(rival) + "messages", headers={"Origin": SITE, "X-Visitor-Token": token})
        assert other_assistant.status_code == 401
        no_origin = await client.get(_api(shop) + "messages", headers={"X-Visitor-Token": token})
        assert no_origin.status_code == 403  # an allow-listed assistant answers browsers on its sites only

        page = await client.get(f"/widget/chat/{shop.assistant_id}")
        assert page.headers["content-security-policy"] == f"frame-ancestors 'self' {SITE}"
        async with client.stream("GET", "/widget.js", headers={"Accept-Encoding": "gzip"}) as loader:
            assert loader.headers["content-encoding"] == "gzip"
            on_the_wire = b"".join([chunk async for chunk in loader.aiter_raw()])
        assert len(on_the_wire) <= 10 * 1024  # the loader's budget, gzipped
        assert b"api/widget/v1" in gzip.decompress(on_the_wire)

        await _configure(shop, widget_settings={"enabled": False})
        off = await client.get(_api(shop) + "config", headers={"Origin": SITE})
        assert off.status_code == 404 and off.json()["message"] == "This chat is not available"


async def test_visitor_chat_stream_sources_operator_and_offline_form(api_server: str, shop: Workspace) -> None:
    await _with_knowledge(shop)
    async with httpx.AsyncClient(base_url=api_server, timeout=30) as client:
        token = await _token(client, shop)
        headers = {"Origin": SITE, "X-Visitor-Token": token}
        empty = await client.post(_api(shop) + "messages", json={"text": "   "}, headers=headers)
        assert empty.status_code == 422 and "empty" in empty.json()["message"]
        broken = await client.post(_api(shop) + "messages", content=b"{not json", headers=headers)
        assert broken.status_code == 422

        streamed = await _send(client, shop, token, "How much is courier delivery?")
        assert [name for name, _ in streamed].count("delta") >= 1 and streamed[-1][0] == "done"
        assert "300 roubles" in "".join(data["text"] for name, data in streamed if name == "delta")
        view = (await client.get(_api(shop) + "messages", headers=headers)).json()
        assert [m["role"] for m in view["messages"]] == ["user", "assistant"] and view["status"] == "ai"
        (source,) = view["messages"][1]["sources"][:1]
        assert source["url"] is None and "300 roubles" in source["passage"]  # files are private by default
        await _configure(shop, widget_settings={"share_source_files": True})
        view = (await client.get(_api(shop) + "messages", headers=headers)).json()
        document = await client.get(view["messages"][1]["sources"][0]["url"], headers={"Origin": SITE})
        assert document.status_code == 200 and document.content == KNOWLEDGE
        assert document.headers["content-disposition"].startswith("attachment")

        async with _following(client, shop, token) as seen:
            await _until(lambda: ("state", {"status": "ai", "queue_position": None, "offline_form": False}) in seen)
            asked = (await client.post(_api(shop) + "handoff", headers=headers)).json()
            assert asked["status"] == "waiting" and asked["queue_position"] == 1
            assert asked["offline_form"] is True  # nobody is online
            await _until(lambda: any(n == "state" and d["status"] == "waiting" for n, d in seen))

            async with session_scope() as session:
                owner = await accounts.add_operator(
                    session=session, tenant_id=shop.tenant_id, email="anna@example.com", password="operator pass 1",
                    full_name="Anna",
                )  # fmt: skip
                await presence.heartbeat(session=session, tenant_id=shop.tenant_id, user_id=owner, status="online")
            dialog_id = (await client.get(_api(shop) + "messages", headers=headers)).json()["dialog_id"]
            await inbox.take_dialog(tenant_id=shop.tenant_id, operator_id=owner, dialog_id=dialog_id)
            await inbox.typing(tenant_id=shop.tenant_id, dialog_id=dialog_id, actor="operator")
            await inbox.add_note(tenant_id=shop.tenant_id, operator_id=owner, dialog_id=dialog_id, text="secret")
            await inbox.reply(tenant_id=shop.tenant_id, operator_id=owner, dialog_id=dialog_id, text="Anna here!")
            await _until(lambda: any(n == "message" and d["text"] == "Anna here!" for n, d in seen))
            assert ("typing", {"who": "operator"}) in seen
            assert any(n == "message" and d["text"] == "Anna joined the conversation." for n, d in seen)
            assert any(n == "state" and d["status"] == "operator" for n, d in seen)
            assert not any(n == "message" and d["text"] == "secret" for n, d in seen)

        second = await _token(client, shop)
        second_headers = {"Origin": SITE, "X-Visitor-Token": second}
        no_dialog = await client.post(
            _api(shop) + "contact", json={"name": "Ivan", "contact": "ivan@example.com"}, headers=second_headers
        )
        assert no_dialog.status_code == 404
        asked = (await client.post(_api(shop) + "handoff", headers=second_headers)).json()
        assert asked["queue_position"] == 1 and asked["offline_form"] is False  # Anna is online
        bad = await client.post(_api(shop) + "contact", json={"name": "", "contact": "x"}, headers=second_headers)
        assert bad.status_code == 422 and set(bad.json()["fields"]) == {"name", "contact"}
        left = await client.post(
            _api(shop) + "contact", json={"name": "Ivan", "contact": "ivan@example.com"}, headers=second_headers
        )
        assert left.json()["messages"][-1]["text"] == "Thank you! An operator will contact you at ivan@example.com."
        # the first visitor cannot see the second one's dialog
        mine = (await client.get(_api(shop) + "messages", headers=headers)).json()
        assert "Ivan" not in json.dumps(mine) and mine["dialog_id"] != left.json()["dialog_id"]

    async with session_scope() as session:
        audit = (await session.exec(select(HandoffAudit.action, HandoffAudit.reason).order_by(HandoffAudit.id))).all()
    assert [tuple(a) for a in audit] == [
        ("requested", "button"), ("taken", "operator"), ("requested", "button"), ("offline_form", "no_operator"),
    ]  # fmt: skip
