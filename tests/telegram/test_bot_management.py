"""Managing bots (issue 12, items 8, 13-16): a refused reconnect leaves a live bot alone, enable recovers a
bot in error, remove and mode switch, the plan counts enabled bots, status, webhooks need HTTPS, and the
webhook answers strangers 401 whatever they send."""

from __future__ import annotations

import asyncio
import time

import pytest

from bot_fleet.fleet import Fleet
from chatai_app.services import telegram
from chatai_app.services.errors import ValidationFailed
from chatai_app.settings import get_settings
from tests.engine.test_conversation import _with_knowledge
from tests.fakes.telegram_server import FakeTelegram
from tests.knowledge.conftest import Workspace, drain_queue
from tests.telegram.conftest import wait_until
from tests.telegram.helpers import bot_row, calls, message_update, owner_api

QUESTION = "How much is courier delivery?"


async def test_a_refused_reconnect_leaves_the_running_bot_alone(
    shop: Workspace, fake_telegram: FakeTelegram, fleet: Fleet, clean_db: str
) -> None:
    """Item 8: the 409 for a bot already running must come before Telegram is told to use a webhook."""
    await _with_knowledge(shop)
    token = fake_telegram.add_bot(710001, "busy_bot")
    await telegram.connect_bot(tenant_id=shop.tenant_id, assistant_id=shop.assistant_id, token=token)
    fake_telegram.push_text(token, 11, QUESTION)
    await wait_until(lambda: fake_telegram.sent_texts(token, 11))

    async with owner_api() as api:
        again = await api.post(
            "/api/v1/bots", json={"assistant_id": str(shop.assistant_id), "token": token, "mode": "webhook"}
        )
    assert again.status_code == 409 and "already connected" in again.json()["message"]
    assert calls(fake_telegram, token, "setWebhook") == [] and fake_telegram.bots[token].webhook == {}

    fake_telegram.push_text(token, 12, QUESTION)
    await wait_until(lambda: fake_telegram.sent_texts(token, 12))
    await asyncio.sleep(2.5)  # a full long poll later: still no 409
    assert bot_row(clean_db, "busy_bot")["status"] == "running"
    assert fake_telegram.invalid_calls == []


async def test_a_bot_in_error_recovers_when_it_is_enabled_again(
    shop: Workspace, fake_telegram: FakeTelegram, fleet: Fleet, clean_db: str
) -> None:
    """Item 8: a webhook left on the token (every getUpdates gets 409) is cleared by disable + enable."""
    await _with_knowledge(shop)
    token = fake_telegram.add_bot(710002, "stuck_bot")
    bot = await telegram.connect_bot(tenant_id=shop.tenant_id, assistant_id=shop.assistant_id, token=token)
    await wait_until(lambda: bot_row(clean_db, "stuck_bot")["status"] == "running")
    fake_telegram.bots[token].webhook = {"url": "https://elsewhere.example/hook"}  # set by someone else
    await wait_until(lambda: bot_row(clean_db, "stuck_bot")["status"] == "error")
    assert "webhook is active" in bot_row(clean_db, "stuck_bot")["last_error"]

    async with owner_api() as api:
        off = await api.put(f"/api/v1/bots/{bot.id}/enabled", json={"enabled": False})
        on = await api.put(f"/api/v1/bots/{bot.id}/enabled", json={"enabled": True})
    assert off.status_code == 200 and on.status_code == 200, (off.text, on.text)
    assert fake_telegram.bots[token].webhook == {}  # the polling bot's mode was applied again
    fake_telegram.push_text(token, 21, QUESTION)
    await wait_until(lambda: fake_telegram.sent_texts(token, 21))
    await wait_until(lambda: bot_row(clean_db, "stuck_bot")["status"] == "running")

    fake_telegram.bots[token].webhook = {"url": "https://elsewhere.example/hook"}  # again; now only "enable"
    await wait_until(lambda: bot_row(clean_db, "stuck_bot")["status"] == "error")
    await asyncio.sleep(3)  # the poller now backs off for seconds between tries
    async with owner_api() as api:
        assert (await api.put(f"/api/v1/bots/{bot.id}/enabled", json={"enabled": True})).status_code == 200
    fake_telegram.push_text(token, 22, QUESTION)
    await wait_until(lambda: fake_telegram.sent_texts(token, 22), within_s=3)  # restarted, not after a backoff


async def test_webhook_strangers_get_401_whatever_they_send(shop: Workspace, fake_telegram: FakeTelegram) -> None:
    """Item 13: the secret is checked before the body is parsed."""
    token = fake_telegram.add_bot(710003, "strict_bot")
    bot = await telegram.connect_bot(
        tenant_id=shop.tenant_id, assistant_id=shop.assistant_id, token=token, mode="webhook"
    )
    secret = fake_telegram.bots[token].webhook["secret_token"]
    path = f"/telegram/webhook/{bot.id}"
    garbage = {"content": b"<xml>not json", "headers": {"Content-Type": "text/xml"}}
    async with owner_api() as api:
        api.headers.pop("Authorization")
        stranger = await api.post(path, **garbage)
        guessing = await api.post(path, content=b"[1, 2", headers={"X-Telegram-Bot-Api-Secret-Token": "guess"})
        telegram_itself = await api.post(
            path, content=b"<xml>not json", headers={"X-Telegram-Bot-Api-Secret-Token": secret}
        )
        no_id = await api.post(path, json={"message": {}}, headers={"X-Telegram-Bot-Api-Secret-Token": secret})
    assert stranger.status_code == 401 and guessing.status_code == 401
    assert telegram_itself.status_code == 422 and no_id.status_code == 422


async def test_bots_are_removed_and_switched_between_polling_and_webhook(
    shop: Workspace, fake_telegram: FakeTelegram, fleet: Fleet, clean_db: str
) -> None:
    """Item 14: DELETE /api/v1/bots/{id} and PUT /api/v1/bots/{id}/mode."""
    await _with_knowledge(shop)
    token = fake_telegram.add_bot(710004, "switch_bot")
    async with owner_api() as api:
        created = await api.post("/api/v1/bots", json={"assistant_id": str(shop.assistant_id), "token": token})
        assert created.status_code == 201, created.text
        bot_id = created.json()["id"]
        await wait_until(lambda: bot_row(clean_db, "switch_bot")["status"] == "running")

        to_webhook = await api.put(f"/api/v1/bots/{bot_id}/mode", json={"mode": "webhook"})
        assert to_webhook.status_code == 200 and to_webhook.json()["mode"] == "webhook", to_webhook.text
        webhook = fake_telegram.bots[token].webhook
        assert webhook["url"].endswith(f"/telegram/webhook/{bot_id}")
        update = {"update_id": next(fake_telegram.update_ids), **message_update(41, QUESTION)}  # one sequence per bot
        api.headers["X-Telegram-Bot-Api-Secret-Token"] = webhook["secret_token"]
        assert (await api.post(f"/telegram/webhook/{bot_id}", json=update)).status_code == 200
        del api.headers["X-Telegram-Bot-Api-Secret-Token"]
        await drain_queue()
        await wait_until(lambda: fake_telegram.sent_texts(token, 41))
        polls = len(calls(fake_telegram, token, "getUpdates"))
        await asyncio.sleep(2.5)
        assert len(calls(fake_telegram, token, "getUpdates")) == polls  # the poller stopped

        to_polling = await api.put(f"/api/v1/bots/{bot_id}/mode", json={"mode": "polling"})
        assert to_polling.status_code == 200 and fake_telegram.bots[token].webhook == {}
        fake_telegram.push_text(token, 42, QUESTION)
        await wait_until(lambda: fake_telegram.sent_texts(token, 42))
        assert (await api.put(f"/api/v1/bots/{bot_id}/mode", json={"mode": "carrier pigeon"})).status_code == 422

        removed = await api.delete(f"/api/v1/bots/{bot_id}")
        assert removed.status_code == 204
        assert (await api.get("/api/v1/bots")).json() == []
        assert (await api.delete(f"/api/v1/bots/{bot_id}")).status_code == 404
    await asyncio.sleep(0.5)
    polls = len(calls(fake_telegram, token, "getUpdates"))
    fake_telegram.push_text(token, 43, QUESTION)
    await asyncio.sleep(2.5)
    assert len(calls(fake_telegram, token, "getUpdates")) == polls and not fake_telegram.sent_texts(token, 43)
    assert bot_row(clean_db, "switch_bot") == {}
    assert fake_telegram.invalid_calls == []


async def test_removing_or_disabling_a_webhook_bot_releases_the_webhook(
    shop: Workspace, fake_telegram: FakeTelegram, clean_db: str
) -> None:
    """Item 14: Telegram must stop calling a webhook nobody serves."""
    tokens = [fake_telegram.add_bot(710010 + i, f"hook{i}_bot") for i in range(2)]
    bots = [
        await telegram.connect_bot(tenant_id=shop.tenant_id, assistant_id=shop.assistant_id, token=t, mode="webhook")
        for t in tokens
    ]
    assert all(fake_telegram.bots[t].webhook for t in tokens)
    async with owner_api() as api:
        assert (await api.put(f"/api/v1/bots/{bots[0].id}/enabled", json={"enabled": False})).status_code == 200
        assert (await api.delete(f"/api/v1/bots/{bots[1].id}")).status_code == 204
    assert [fake_telegram.bots[t].webhook for t in tokens] == [{}, {}]
    assert all(calls(fake_telegram, t, "deleteWebhook") for t in tokens)
    assert bot_row(clean_db, "hook0_bot")["status"] == "stopped"


async def test_disabled_bots_do_not_count_toward_the_plan(shop: Workspace, fake_telegram: FakeTelegram) -> None:
    """Item 14: the free plan allows 3 bots; a disabled one leaves room, and enabling it again is checked."""
    tokens = [fake_telegram.add_bot(710020 + i, f"plan{i}_bot") for i in range(4)]
    async with owner_api() as api:
        ids = []
        for token in tokens[:3]:
            created = await api.post("/api/v1/bots", json={"assistant_id": str(shop.assistant_id), "token": token})
            assert created.status_code == 201, created.text
            ids.append(created.json()["id"])
        fourth = {"assistant_id": str(shop.assistant_id), "token": tokens[3]}
        assert (await api.post("/api/v1/bots", json=fourth)).status_code == 402
        assert (await api.put(f"/api/v1/bots/{ids[0]}/enabled", json={"enabled": False})).status_code == 200
        assert (await api.post("/api/v1/bots", json=fourth)).status_code == 201
        back = await api.put(f"/api/v1/bots/{ids[0]}/enabled", json={"enabled": True})
        assert back.status_code == 402 and "plan allows 3" in back.json()["message"]
        assert (await api.delete(f"/api/v1/bots/{ids[1]}")).status_code == 204
        assert (await api.put(f"/api/v1/bots/{ids[0]}/enabled", json={"enabled": True})).status_code == 200


async def test_a_new_polling_bot_shows_running_before_its_first_long_poll_returns(
    shop: Workspace, fake_telegram: FakeTelegram, fleet: Fleet, clean_db: str
) -> None:
    """Item 15: getMe + a first poll that returns at once, not only when the first 20 s long poll returns."""
    fake_telegram.max_poll_s = 20  # hold long polls as long as Telegram would
    token = fake_telegram.add_bot(710030, "quick_bot")
    started = time.monotonic()
    await telegram.connect_bot(tenant_id=shop.tenant_id, assistant_id=shop.assistant_id, token=token)
    await wait_until(lambda: bot_row(clean_db, "quick_bot")["status"] == "running", within_s=15)
    assert time.monotonic() - started < 5
    assert calls(fake_telegram, token, "getMe") and calls(fake_telegram, token, "getUpdates")


async def test_webhook_mode_needs_https(
    shop: Workspace, fake_telegram: FakeTelegram, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Item 16: Telegram refuses http:// webhooks; we refuse first, with a reason, unless PUBLIC_URL is https."""
    fake_telegram.allow_http_webhooks = False  # as Telegram itself
    monkeypatch.delenv("TELEGRAM_ALLOW_HTTP_WEBHOOK")
    monkeypatch.delenv("PUBLIC_URL", raising=False)
    get_settings.cache_clear()
    token = fake_telegram.add_bot(710040, "secure_bot")
    with pytest.raises(ValidationFailed) as refused:
        await telegram.connect_bot(
            tenant_id=shop.tenant_id, assistant_id=shop.assistant_id, token=token, mode="webhook"
        )
    assert "HTTPS" in refused.value.fields["mode"] and "PUBLIC_URL" in refused.value.fields["mode"]
    assert calls(fake_telegram, token, "setWebhook") == []

    bot = await telegram.connect_bot(tenant_id=shop.tenant_id, assistant_id=shop.assistant_id, token=token)
    with pytest.raises(ValidationFailed):
        await telegram.set_mode(tenant_id=shop.tenant_id, bot_id=bot.id, mode="webhook")
    assert calls(fake_telegram, token, "setWebhook") == []

    monkeypatch.setenv("PUBLIC_URL", "https://chat.example.com")  # undone before the fixture clears the cache
    get_settings.cache_clear()
    switched = await telegram.set_mode(tenant_id=shop.tenant_id, bot_id=bot.id, mode="webhook")
    assert switched.mode == "webhook"
    assert fake_telegram.bots[token].webhook["url"] == f"https://chat.example.com/telegram/webhook/{bot.id}"
    assert fake_telegram.invalid_calls == []
