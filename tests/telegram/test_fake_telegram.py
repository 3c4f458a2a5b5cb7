"""The fake Bot API server itself: aiogram talks to it, and it refuses what Telegram would refuse."""

from __future__ import annotations

import httpx
from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import TelegramRetryAfter

from tests.fakes.telegram_server import running_fake_telegram


async def test_aiogram_calls_are_served_and_bad_calls_refused() -> None:
    with running_fake_telegram() as telegram:
        token = telegram.add_bot(500001, "shop_bot")
        session = AiohttpSession(api=TelegramAPIServer.from_base(telegram.base_url))
        bot = Bot(token, session=session)
        try:
            me = await bot.get_me()
            assert (me.id, me.username) == (500001, "shop_bot")
            await bot.send_message(42, "hello")
            assert telegram.sent_texts(token, 42) == ["hello"]
            telegram.fail_next(token, "sendMessage", 429, "Too Many Requests: retry after 3", retry_after=3)
            try:
                await bot.send_message(42, "again")
                raise AssertionError("429 was not raised")
            except TelegramRetryAfter as exc:
                assert exc.retry_after == 3
        finally:
            await session.close()
        async with httpx.AsyncClient(base_url=telegram.base_url) as client:
            missing = await client.post(f"/bot{token}/sendMessage", data={"chat_id": "1"})
            unknown = await client.post(f"/bot{token}/sendMessage", data={"chat_id": "1", "text": "x", "colour": "red"})
            wrong = await client.post(
                f"/bot{token}/sendMessage", data={"chat_id": "abc", "text": "x", "reply_to_message_id": "no"}
            )
            nope = await client.post(f"/bot{token}/sendTelepathy", data={})
        assert missing.json()["description"] == "Bad Request: text is required"
        assert unknown.json()["description"] == "Bad Request: unknown parameter colour"
        assert wrong.status_code == 400 and nope.status_code == 400
