"""Bots answer through the fleet: polling, hot add, /start, non-text, groups, long replies, 429s."""

from __future__ import annotations

import asyncio
import time

import psycopg
import pytest
from sqlmodel import select

from bot_fleet.fleet import Fleet
from chatai_app.db import session_scope
from chatai_app.models import User
from chatai_app.services import dialogs, telegram
from chatai_app.services.errors import ValidationFailed
from chatai_app.services.inbox import reply as reply_as_operator
from chatai_app.services.knowledge import qa
from tests.engine.test_conversation import _with_knowledge
from tests.fakes.telegram_server import FakeTelegram
from tests.knowledge.conftest import Workspace
from tests.telegram.conftest import wait_until, wait_until_settled


async def test_a_bot_added_while_the_fleet_runs_answers_within_two_seconds(
    shop: Workspace, fake_telegram: FakeTelegram, fleet: Fleet, clean_db: str
) -> None:
    await _with_knowledge(shop, greeting="Welcome to the shop!")
    token = fake_telegram.add_bot(700001, "shop_bot")
    connected = await telegram.connect_bot(tenant_id=shop.tenant_id, assistant_id=shop.assistant_id, token=token)
    assert connected.token_hint != token and token not in connected.token_hint
    added_at = time.monotonic()
    fake_telegram.push_text(token, 555, "How much is courier delivery?")
    await wait_until(lambda: fake_telegram.sent_texts(token, 555))
    assert time.monotonic() - added_at < 2.0
    assert "300 roubles" in fake_telegram.sent_texts(token, 555)[0]
    assert any(method == "sendChatAction" for method, _ in fake_telegram.bots[token].calls)

    fake_telegram.push_text(token, 555, "/start")
    fake_telegram.push_update(
        token,
        {
            "message": {
                "message_id": 9,
                "date": 0,
                "chat": {"id": 555, "type": "private"},
                "photo": [{"file_id": "p", "file_unique_id": "u", "width": 1, "height": 1}],
            }
        },
    )
    fake_telegram.push_text(token, -100, "delivery price?", chat_type="group")
    fake_telegram.push_text(token, -100, "@shop_bot delivery price?", chat_type="group")
    await wait_until(lambda: len(fake_telegram.sent_texts(token, 555)) == 3 and fake_telegram.sent_texts(token, -100))
    assert fake_telegram.sent_texts(token, 555)[1:] == [
        "Welcome to the shop!",
        "Sorry, I can only read text messages for now. Please write your question.",
    ]
    assert len(fake_telegram.sent_texts(token, -100)) == 1  # only the message that mentioned the bot
    assert fake_telegram.invalid_calls == []
    with psycopg.connect(clean_db) as conn:
        stored = conn.execute("SELECT token_encrypted FROM bot_instances").fetchone()[0]
        status = conn.execute("SELECT status, update_offset > 0 FROM bot_instances").fetchone()
    assert token not in stored and status == ("running", True)


async def test_long_replies_are_split_and_429_is_honoured(
    shop: Workspace, fake_telegram: FakeTelegram, fleet: Fleet
) -> None:
    long_answer = " ".join(f"word{i}" for i in range(1000))  # ~7.9k characters: two Telegram messages
    async with session_scope() as session:
        await qa.create_qa(
            session=session,
            tenant_id=shop.tenant_id,
            assistant_id=shop.assistant_id,
            question="Tell me everything",
            answer=long_answer,
        )
    token = fake_telegram.add_bot(700002, "long_bot")
    await telegram.connect_bot(tenant_id=shop.tenant_id, assistant_id=shop.assistant_id, token=token)
    fake_telegram.fail_next(token, "sendMessage", 429, "Too Many Requests: retry after 2", retry_after=2)
    started = time.monotonic()
    fake_telegram.push_text(token, 1, "Tell me everything")
    await wait_until(lambda: len(fake_telegram.sent_texts(token, 1)) >= 2, within_s=15)
    assert time.monotonic() - started >= 2.0  # waited retry_after before sending again
    parts = fake_telegram.sent_texts(token, 1)
    assert all(len(p) <= 4096 for p in parts) and " ".join(parts) == long_answer  # in order, nothing lost


async def test_bad_tokens_are_refused_with_a_reason(shop: Workspace, fake_telegram: FakeTelegram) -> None:
    with pytest.raises(ValidationFailed):
        await telegram.connect_bot(tenant_id=shop.tenant_id, assistant_id=shop.assistant_id, token="nonsense")
    unknown = "123456789:" + "A" * 35
    with pytest.raises(telegram.TelegramError, match="Unauthorized"):
        await telegram.connect_bot(tenant_id=shop.tenant_id, assistant_id=shop.assistant_id, token=unknown)


async def test_webhook_needs_the_secret_and_answers_through_the_queue(
    shop: Workspace, fake_telegram: FakeTelegram, fleet: Fleet, clean_db: str
) -> None:
    from tests.knowledge.conftest import drain_queue
    from tests.test_api import _client

    await _with_knowledge(shop)
    token = fake_telegram.add_bot(700003, "hook_bot")
    bot = await telegram.connect_bot(
        tenant_id=shop.tenant_id, assistant_id=shop.assistant_id, token=token, mode="webhook"
    )
    webhook = fake_telegram.bots[token].webhook
    assert webhook["url"].endswith(f"/telegram/webhook/{bot.id}") and token not in webhook["url"]
    update = {"update_id": 1, "message": {"message_id": 1, "date": 0, "chat": {"id": 77, "type": "private"},
                                          "text": "How much is courier delivery?"}}  # fmt: skip
    async with _client() as api:
        path = f"/telegram/webhook/{bot.id}"
        assert (await api.post(path, json=update)).status_code == 401
        wrong = await api.post(path, json=update, headers={"X-Telegram-Bot-Api-Secret-Token": "guess"})
        assert wrong.status_code == 401
        ok = await api.post(path, json=update, headers={"X-Telegram-Bot-Api-Secret-Token": webhook["secret_token"]})
        assert ok.status_code == 200
        again = await api.post(path, json=update, headers={"X-Telegram-Bot-Api-Secret-Token": webhook["secret_token"]})
        assert again.status_code == 200  # Telegram retries: accepted, answered once
    await drain_queue()
    await wait_until_settled(clean_db, fake_telegram, token)  # a duplicate, however late, would be out by now
    assert len(fake_telegram.sent_texts(token, 77)) == 1 and "300 roubles" in fake_telegram.sent_texts(token, 77)[0]
    assert not any(method == "getUpdates" for method, _ in fake_telegram.bots[token].calls)


async def test_operator_reply_reaches_the_telegram_user_through_the_outbox(
    shop: Workspace, fake_telegram: FakeTelegram, fleet: Fleet
) -> None:
    await _with_knowledge(shop)
    token = fake_telegram.add_bot(700004, "human_bot")
    await telegram.connect_bot(tenant_id=shop.tenant_id, assistant_id=shop.assistant_id, token=token)
    fake_telegram.push_text(token, 31, "I want a human operator")
    await wait_until(lambda: fake_telegram.sent_texts(token, 31))
    async with session_scope() as session:
        (dialog,) = await dialogs.list_dialogs(session=session, tenant_id=shop.tenant_id)
        owner_id = (await session.exec(select(User.id))).one()
    assert dialog.status == "waiting"
    await reply_as_operator(tenant_id=shop.tenant_id, operator_id=owner_id, dialog_id=dialog.id, text="Hi, I am Anna.")
    await wait_until(lambda: "Hi, I am Anna." in fake_telegram.sent_texts(token, 31))


async def test_an_update_a_previous_holder_handled_is_not_answered_again_a_new_one_is(
    shop: Workspace, fake_telegram: FakeTelegram, clean_db: str
) -> None:
    """The fleet skips the per-update processed check only above the bot's last update on record: a /start the
    previous holder handled (its offset write lost, so Telegram sends it again) gets no second greeting."""
    await _with_knowledge(shop, greeting="Welcome to the shop!")
    token = fake_telegram.add_bot(700090, "holder_bot")
    await telegram.connect_bot(tenant_id=shop.tenant_id, assistant_id=shop.assistant_id, token=token)
    handled = fake_telegram.push_text(token, 555, "/start")
    (before,) = await telegram.active_bots()
    assert before.processed_upto == -1 and before.offset == 0
    with fake_telegram.lock:
        payload = next(u for u in fake_telegram.bots[token].updates if u["update_id"] == handled)
    inbound = telegram.inbound_from_json(payload, before.username)
    assert inbound is not None and await telegram.handle_update(before, inbound) == "greeted"  # the old holder
    with psycopg.connect(clean_db) as conn:  # ... which delivered it, then died before storing its offset
        conn.execute("UPDATE outbox_messages SET sent_at = now()")
    assert (await telegram.active_bots())[0].processed_upto == handled
    fake_telegram.push_text(token, 556, "/start")

    stop = asyncio.Event()
    running = asyncio.create_task(Fleet().run(stop))
    try:
        await wait_until(lambda: fake_telegram.sent_texts(token, 556), within_s=15)
        await wait_until_settled(clean_db, fake_telegram, token)  # a second greeting, however late, is out
    finally:
        stop.set()
        await asyncio.wait_for(running, timeout=30)
    assert fake_telegram.sent_texts(token, 556) == ["Welcome to the shop!"]
    assert fake_telegram.sent_texts(token, 555) == []  # the redelivered update was recognised
