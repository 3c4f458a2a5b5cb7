"""The public widget under abuse (issue 11): site-bound visitor tokens, rate limits, a daily spend cap, and
uploaded files that can never run as a page on the app's origin."""

from __future__ import annotations

import time
import uuid

import sqlalchemy as sa
from sqlmodel import select

from chatai_app.db import session_scope
from chatai_app.models import AuditLog, Document, Tenant
from chatai_app.services import widget
from chatai_app.services.knowledge import documents
from tests.engine.test_conversation import _with_knowledge
from tests.engine.test_handoff import _configure
from tests.knowledge.conftest import Workspace, drain_queue
from tests.test_api import _client

SITE, OTHER_SITE = "https://shop.example", "https://blog.shop.example"


def _api(ws: Workspace) -> str:
    return f"/api/widget/v1/{ws.assistant_id}/"


async def _balance(ws: Workspace) -> int:
    async with session_scope() as session:
        return (await session.exec(select(Tenant.balance_minor).where(Tenant.id == ws.tenant_id))).one()


async def test_tokens_are_bound_to_the_site_they_were_issued_to(shop: Workspace) -> None:
    await _configure(shop, widget_settings={"allowed_origins": [SITE, OTHER_SITE]})
    async with _client("10.0.0.1") as client:
        assert (await client.post(_api(shop) + "visitor")).status_code == 403  # no Origin: not a browser on a site
        evil = await client.post(_api(shop) + "visitor", headers={"Origin": "https://evil.example"})
        assert evil.status_code == 403
        issued = await client.post(_api(shop) + "visitor", headers={"Origin": SITE})
        assert issued.status_code == 201
        token = issued.json()["token"]
        mine = await client.get(_api(shop) + "messages", headers={"Origin": SITE, "X-Visitor-Token": token})
        assert mine.status_code == 200
        elsewhere = await client.get(_api(shop) + "messages", headers={"Origin": OTHER_SITE, "X-Visitor-Token": token})
        assert elsewhere.status_code == 401


async def test_draining_a_balance_through_the_widget_is_rate_limited(shop: Workspace) -> None:
    """The attack from the report: loops of `POST /visitor` + `POST /messages` without an Origin."""
    await _with_knowledge(shop)
    before = await _balance(shop)
    visitors, sent, limited = 0, 0, 0
    async with _client("10.9.9.9") as client:
        for i in range(30):
            issued = await client.post(_api(shop) + "visitor")
            if issued.status_code == 429:
                limited += 1
                assert int(issued.headers["Retry-After"]) >= 1
                continue
            visitors += 1
            for j in range(2):
                reply = await client.post(_api(shop) + "messages", json={"text": f"delivery to city {i}-{j}?"},
                                          headers={"X-Visitor-Token": issued.json()["token"]})  # fmt: skip
                sent += reply.status_code == 200
                limited += reply.status_code == 429
    assert visitors == 10 and limited >= 20  # 10 new visitors a minute per address
    assert sent == 20
    assert before - await _balance(shop) <= sent * 100  # nothing charged beyond the answered messages

    async with _client("10.8.8.8") as client:  # one visitor sending fast
        token = (await client.post(_api(shop) + "visitor")).json()["token"]
        codes = [(await client.post(_api(shop) + "messages", json={"text": f"question {n}?"},
                                    headers={"X-Visitor-Token": token})).status_code for n in range(11)]  # fmt: skip
    assert codes[:10] == [200] * 10 and codes[10] == 429


async def test_daily_spend_cap_stops_the_widget_and_tells_the_owner_once(shop: Workspace) -> None:
    await _with_knowledge(shop)
    await _configure(shop, widget_settings={"daily_spend_cap_minor": 200})
    async with _client("10.0.0.2") as client:
        token = (await client.post(_api(shop) + "visitor")).json()["token"]
        headers = {"X-Visitor-Token": token}
        questions = ["How much is courier delivery?", "When do parcels reach Kazan?", "Is there a courier?",
                     "How many days to Kazan?"]  # fmt: skip
        codes = [await client.post(_api(shop) + "messages", json={"text": q}, headers=headers) for q in questions]
    assert [c.status_code for c in codes] == [200, 200, 429, 429]
    assert codes[2].json()["message"] == "This chat has reached its limit for today; please try again tomorrow"
    async with session_scope() as session:
        notices = (await session.exec(select(AuditLog.meta).where(AuditLog.action == "widget.spend_cap"))).all()
    assert notices == [{"cap_minor": 200, "spent_minor": 200}]


async def test_uploaded_html_or_svg_never_runs_on_the_app_origin(shop: Workspace) -> None:
    payloads = {
        "page.txt": b"<html><script>alert(document.cookie)</script></html>",
        "art.md": b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>alert(2)</script></svg>',
    }
    async with session_scope() as session:
        added = [
            await documents.add_document(
                session=session, tenant_id=shop.tenant_id, assistant_id=shop.assistant_id,
                filename=name, data=data, max_bytes=10**6,
            )
            for name, data in payloads.items()
        ]
    await drain_queue()
    async with session_scope() as session:
        types = (await session.exec(select(Document.mime_type).order_by(Document.filename))).all()
    assert types == ["text/plain", "text/plain"]
    document_id = added[0].id
    async with _client("10.0.0.3") as client:
        private = await client.get(_api(shop) + f"documents/{document_id}?expires={int(time.time()) + 60}&signature=x")
        assert private.status_code == 404  # not shared, and not signed by us
        link = widget.source_file_link(shop.assistant_id, str(document_id))
        assert (await client.get(link)).status_code == 404  # signed, but the assistant keeps its files private
        await _configure(shop, widget_settings={"share_source_files": True})
        served = await client.get(link)
        assert served.status_code == 200 and served.content == payloads["page.txt"]
        assert served.headers["content-type"] == "text/plain; charset=utf-8"
        assert served.headers["content-disposition"].startswith("attachment")
        assert served.headers["x-content-type-options"] == "nosniff"
        assert served.headers["content-security-policy"].startswith("sandbox")
        expired = widget.source_file_link(shop.assistant_id, str(document_id), now=time.time() - 7200)
        assert (await client.get(expired)).status_code == 404
        other = widget.source_file_link(shop.assistant_id, str(uuid.uuid4()))
        assert (await client.get(other)).status_code == 404
    async with session_scope() as session:  # the tenant's data is untouched by the refusals
        assert (await session.exec(select(sa.func.count()).select_from(Document))).one() == 2
