"""👍/👎 in Telegram through the fake Bot API (every call checked against the spec): the fleet sends the buttons
with the answer, a press (callback_query) records the vote, is answered and redraws the keyboard; a press
carried to another chat counts for nothing. Webhook bots do the same through the job queue."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import sqlalchemy as sa

from bot_fleet.fleet import Fleet
from chatai_app.db import session_scope
from chatai_app.models import OutboxMessage
from chatai_app.services import feedback, telegram
from chatai_app.services.dialogs import list_dialogs, transcript
from tests.engine.test_conversation import _with_knowledge
from tests.fakes.telegram_server import FakeTelegram
from tests.knowledge.conftest import Workspace, drain_queue
from tests.telegram.conftest import wait_until
from tests.telegram.helpers import calls, owner_api

QUESTION = "How much is courier delivery?"


def _keyboard(fake: FakeTelegram, token: str, chat_id: int, message_id: int) -> list[dict[str, str]]:
    return json.loads(fake.bots[token].keyboards[(str(chat_id), message_id)])["inline_keyboard"][0]


async def _votes(ws: Workspace) -> dict[int, str]:
    async with session_scope() as session:
        (dialog,) = await list_dialogs(session=session, tenant_id=ws.tenant_id)
        lines = await transcript(session=session, tenant_id=ws.tenant_id, dialog_id=dialog.id)
        return await feedback.feedback_for_messages(
            session=session, tenant_id=ws.tenant_id, message_ids=[m.id for m in lines]
        )


async def test_the_fleet_sends_buttons_and_a_press_records_the_vote(
    shop: Workspace, fake_telegram: FakeTelegram, fleet: Fleet
) -> None:
    await _with_knowledge(shop, greeting="Welcome!")
    token = fake_telegram.add_bot(730001, "rated_bot")
    await telegram.connect_bot(tenant_id=shop.tenant_id, assistant_id=shop.assistant_id, token=token)
    fake_telegram.push_text(token, 555, "/start")
    fake_telegram.push_text(token, 555, QUESTION)
    await wait_until(lambda: len(fake_telegram.sent_texts(token, 555)) == 2)
    greeting, answer = calls(fake_telegram, token, "sendMessage")
    assert "reply_markup" not in greeting and "300 roubles" in answer["text"]  # buttons under answers only
    telegram_id = fake_telegram.bots[token].sent_ids[1]
    up, down = _keyboard(fake_telegram, token, 555, telegram_id)
    assert (up["text"], down["text"]) == ("👍", "👎") and len(up["callback_data"].encode()) <= 64

    fake_telegram.push_callback(token, 555, up["callback_data"], message_id=telegram_id)
    await wait_until(lambda: len(calls(fake_telegram, token, "answerCallbackQuery")) == 1)
    assert calls(fake_telegram, token, "answerCallbackQuery")[0]["text"] == "Thank you! Glad it helped."
    await wait_until(lambda: _keyboard(fake_telegram, token, 555, telegram_id)[0]["text"] == "👍 ✓")
    assert list((await _votes(shop)).values()) == ["up"]

    fake_telegram.push_callback(token, 555, down["callback_data"], message_id=telegram_id)  # a change of mind
    fake_telegram.push_callback(token, 555, down["callback_data"], message_id=telegram_id)  # the same again
    await wait_until(lambda: len(calls(fake_telegram, token, "answerCallbackQuery")) == 3)
    assert [b["text"] for b in _keyboard(fake_telegram, token, 555, telegram_id)] == ["👍", "👎 ✓"]
    assert len(calls(fake_telegram, token, "editMessageReplyMarkup")) == 2  # no redraw when nothing changed
    assert list((await _votes(shop)).values()) == ["down"]

    # The same button data pressed in another chat (forged, or the message forwarded) counts for nothing.
    fake_telegram.push_text(token, 777, QUESTION)
    await wait_until(lambda: fake_telegram.sent_texts(token, 777))
    fake_telegram.push_callback(token, 777, up["callback_data"], message_id=telegram_id)
    forged = up["callback_data"][:-1] + ("1" if up["callback_data"].endswith("0") else "0")  # another signature
    fake_telegram.push_callback(token, 555, forged, message_id=telegram_id)
    await wait_until(lambda: len(calls(fake_telegram, token, "answerCallbackQuery")) == 5)
    refused = calls(fake_telegram, token, "answerCallbackQuery")[3:]
    assert [c["text"] for c in refused] == ["This answer can no longer be rated."] * 2
    assert len(calls(fake_telegram, token, "editMessageReplyMarkup")) == 2
    async with session_scope() as session:
        summary = await feedback.feedback_summary(
            session=session, tenant_id=shop.tenant_id, since=datetime(2000, 1, 1, tzinfo=UTC),
            until=datetime(2100, 1, 1, tzinfo=UTC),
        )  # fmt: skip
    assert summary.by_channel == {"telegram": {"up": 0, "down": 1}}
    assert fake_telegram.invalid_calls == []


async def test_a_webhook_bot_answers_a_press_through_the_queue(shop: Workspace, fake_telegram: FakeTelegram) -> None:
    await _with_knowledge(shop)
    token = fake_telegram.add_bot(730002, "hooked_rated_bot")
    bot = await telegram.connect_bot(
        tenant_id=shop.tenant_id, assistant_id=shop.assistant_id, token=token, mode="webhook"
    )
    webhook = fake_telegram.bots[token].webhook
    assert json.loads(webhook["allowed_updates"]) == ["message", "callback_query"]
    secret = {"X-Telegram-Bot-Api-Secret-Token": webhook["secret_token"]}
    question = {"message_id": 1, "date": 0, "chat": {"id": 88, "type": "private"}, "text": QUESTION}
    async with owner_api() as api:
        path = f"/telegram/webhook/{bot.id}"
        assert (await api.post(path, json={"update_id": 1, "message": question}, headers=secret)).status_code == 200
        await drain_queue()
        (answer,) = [m for m in await _outbox_payloads() if "reply_markup" in m]
        up = answer["reply_markup"]["inline_keyboard"][0][0]
        press = {"id": "cb-hook-1", "from": {"id": 88, "is_bot": False, "first_name": "U", "language_code": "ru"},
                 "chat_instance": "c", "data": up["callback_data"],
                 "message": {"message_id": 1, "date": 0, "chat": {"id": 88, "type": "private"}}}  # fmt: skip
        assert (await api.post(path, json={"update_id": 2, "callback_query": press}, headers=secret)).status_code == 200
        await drain_queue()
    answered = calls(fake_telegram, token, "answerCallbackQuery")
    assert [a["callback_query_id"] for a in answered] == ["cb-hook-1"]
    assert list((await _votes(shop)).values()) == ["up"]


async def _outbox_payloads() -> list[dict]:
    async with session_scope() as session:
        return list((await session.exec(sa.select(OutboxMessage.payload).order_by(OutboxMessage.id))).scalars())
