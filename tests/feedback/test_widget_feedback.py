"""Thumbs in the widget over real HTTP: a visitor rates answers of their own conversation only; bad input is a
clear 4xx; the vote shows in the visitor's transcript and in Dialogs."""

from __future__ import annotations

import httpx

from chatai_app.db import session_scope
from chatai_app.services import dialogs, feedback
from tests.engine.test_conversation import _with_knowledge
from tests.knowledge.conftest import Workspace
from tests.widget.test_widget_api import SITE, _api, _send, _token


async def _messages(client: httpx.AsyncClient, ws: Workspace, token: str) -> list[dict]:
    response = await client.get(_api(ws) + "messages", headers={"Origin": SITE, "X-Visitor-Token": token})
    assert response.status_code == 200, response.text
    return response.json()["messages"]


async def test_a_visitor_rates_answers_of_their_own_conversation(
    api_server: str, shop: Workspace, rival: Workspace
) -> None:
    await _with_knowledge(shop)
    async with httpx.AsyncClient(base_url=api_server) as client:
        token = await _token(client, shop)
        await _send(client, shop, token, "How much is courier delivery?")
        question, answer = await _messages(client, shop, token)
        assert answer["role"] == "assistant" and answer["feedback"] is None and "feedback" not in question
        headers = {"Origin": SITE, "X-Visitor-Token": token}

        def rate(body: dict, as_: dict = headers, ws: Workspace = shop) -> object:
            return client.post(_api(ws) + "feedback", json=body, headers=as_)

        up = await rate({"message_id": answer["id"], "rating": "up"})
        assert up.status_code == 200 and up.json() == {"message_id": answer["id"], "rating": "up"}
        assert (await _messages(client, shop, token))[1]["feedback"] == "up"
        down = await rate({"message_id": answer["id"], "rating": "down", "comment": "too short"})
        assert down.json()["rating"] == "down"
        assert (await _messages(client, shop, token))[1]["feedback"] == "down"  # changed, still one vote

        stranger = {"Origin": SITE, "X-Visitor-Token": await _token(client, shop)}
        assert (await rate({"message_id": answer["id"], "rating": "up"}, stranger)).status_code == 404
        await _send(client, shop, stranger["X-Visitor-Token"], "hello")
        assert (await rate({"message_id": answer["id"], "rating": "up"}, stranger)).status_code == 404
        own_question = await rate({"message_id": question["id"], "rating": "up"})
        assert own_question.status_code == 422 and "assistant's answers" in own_question.json()["message"]
        for bad in ({"message_id": answer["id"], "rating": "meh"}, {"message_id": "x", "rating": "up"},
                    {"rating": "up"}, {"message_id": answer["id"], "rating": "up", "comment": "x" * 1001}):  # fmt: skip
            assert (await rate(bad)).status_code == 422, bad
        huge = await rate({"message_id": answer["id"], "rating": "up", "comment": "x" * 70_000})
        assert huge.status_code == 413
        assert (await rate({"message_id": answer["id"], "rating": "up"}, {"Origin": SITE})).status_code == 401
        other_widget = await rate({"message_id": answer["id"], "rating": "up"}, ws=rival)
        assert other_widget.status_code == 401  # the token is the shop widget's

    async with session_scope() as session:
        found = await dialogs.list_dialogs(session=session, tenant_id=shop.tenant_id)
        votes = await feedback.feedback_for_messages(
            session=session, tenant_id=shop.tenant_id, message_ids=[question["id"], answer["id"]]
        )
    assert votes == {answer["id"]: "down"} and len(found) == 2
