"""One bot: long polling (offset committed only after each update is handled) and the outbox sender."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable
from contextlib import suppress

from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ChatAction
from aiogram.exceptions import AiogramError, TelegramNetworkError, TelegramRetryAfter
from aiogram.types import Update

from chatai_app.outages import OutageLog
from chatai_app.services import telegram
from chatai_app.settings import get_settings

log = logging.getLogger("bot_fleet")
OUTAGES = OutageLog(log)  # one line per kind of database failure for the whole fleet, not one per bot and try
MAX_BACKOFF_S = 30.0
POLL_TIMEOUT_S = 20
SEND_RATE_PER_S = 30  # Telegram's broadcast limit per bot
MAX_SEND_ATTEMPTS = 5
IDLE_OUTBOX_CHECK_S = 5.0  # woken at once by new replies; idle bots barely touch the database


def shared_session() -> AiohttpSession:
    """One HTTP session (connection pool) for every bot of the fleet: bots differ only by token in the URL."""
    # No connection cap: every polling bot keeps one long poll open.
    return AiohttpSession(api=TelegramAPIServer.from_base(get_settings().telegram_api_url), limit=0)


class BotRunner:
    def __init__(self, active: telegram.ActiveBot, session: AiohttpSession) -> None:
        self.active = active
        self.bot = Bot(active.token, session=session)
        self.offset = active.offset
        self.outbox_ready = asyncio.Event()
        self.tasks: list[asyncio.Task[None]] = []
        self.stopping = False
        self.busy = False  # handling an update: stop() lets it finish
        self.delivery: asyncio.Future[tuple[bool, float]] | None = None  # stop() lets a send in hand finish
        self.status, self._error = "", ""

    def start(self) -> None:
        if self.active.mode == "polling":
            self.tasks.append(asyncio.create_task(self._poll(), name=f"poll-{self.active.username}"))
        else:
            self.tasks.append(asyncio.create_task(self._check(), name=f"check-{self.active.username}"))
        self.tasks.append(asyncio.create_task(self._send(), name=f"send-{self.active.username}"))

    async def stop(self) -> None:
        """Finish the update and the message in hand (their results are recorded), cancel waiting, then close."""
        self.stopping = True
        for task in self.tasks:
            if task.get_name().startswith("send") or not self.busy:
                task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)  # the shared session stays open
        if self.delivery is not None:
            await asyncio.gather(self.delivery, return_exceptions=True)

    async def _check(self) -> None:
        """Webhook bots: Telegram calls us (the service set the webhook); the token must still work."""
        backoff = 1.0
        while not self.stopping:
            try:
                await self.bot.get_me()
            except TelegramRetryAfter as exc:
                await asyncio.sleep(exc.retry_after)
                continue
            except (AiogramError, TelegramNetworkError) as exc:
                await self._quietly(self._status("error", str(exc)))
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 60)
                continue
            if await self._quietly(self._status("running")):
                return
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, MAX_BACKOFF_S)

    async def _poll(self) -> None:
        backoff = 1.0
        checked = False  # getMe, then a first poll that returns at once: "running" within a second, not 20 s
        while not self.stopping:
            try:
                if not checked:
                    await self.bot.get_me()
                updates = await self.bot.get_updates(offset=self.offset or None,
                                                     timeout=POLL_TIMEOUT_S if checked else 0,
                                                     allowed_updates=["message"])  # fmt: skip
                checked = True
                backoff = 1.0
                await self._status("running")
            except TelegramRetryAfter as exc:
                await asyncio.sleep(exc.retry_after)
                continue
            except (AiogramError, TelegramNetworkError) as exc:  # 409: a webhook is set (enable re-applies the mode)
                await self._quietly(self._status("error", str(exc)))
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 60)
                continue
            except Exception as exc:  # the database is away (status not recorded): poll again when it is back
                self._trouble(exc, "poll")
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, MAX_BACKOFF_S)
                continue
            for update in updates:
                if self.stopping:
                    return
                self.busy = True
                try:
                    await self.handle(update)
                    self.offset = update.update_id + 1
                    await telegram.record_status(self.active.id, status="running", offset=self.offset)
                except Exception as exc:  # not handled: the next poll brings it again (deduplicated by update id)
                    self._trouble(exc, "update")
                    await asyncio.sleep(backoff)
                    backoff = min(backoff * 2, MAX_BACKOFF_S)
                    break
                finally:
                    self.busy = False

    def _trouble(self, exc: BaseException, where: str) -> None:
        """A lost database: one line per kind for the whole fleet. Anything else: its traceback, once per try."""
        if not OUTAGES.report(exc, where=f"bot @{self.active.username} {where}"):
            log.error("bot @%s: %s failed", self.active.username, where, exc_info=exc)

    async def _quietly(self, step: Awaitable[None]) -> bool:
        try:
            await step
        except Exception as exc:
            self._trouble(exc, "status")
            return False
        return True

    async def _status(self, status: str, error: str = "") -> None:
        """Write the status only when it changes: a thousand idle bots must not hammer the database."""
        if (status, error) != (self.status, self._error):
            await telegram.record_status(self.active.id, status=status, error=error)
            self.status, self._error = status, error

    async def handle(self, update: Update) -> None:
        # by_alias: the Bot API field is `from` (aiogram's attribute is `from_user`); the webhook JSON has `from`
        payload = update.model_dump(mode="json", exclude_none=True, by_alias=True)
        inbound = telegram.inbound_from_json(payload, self.active.username)
        if inbound is not None:
            typing = asyncio.create_task(self._typing(inbound.chat_id)) if inbound.text else None
            try:
                await telegram.handle_update(self.active, inbound)
            finally:
                if typing:
                    typing.cancel()
        self.outbox_ready.set()

    async def _typing(self, chat_id: int) -> None:
        with suppress(AiogramError, TelegramNetworkError):
            while True:
                await self.bot.send_chat_action(chat_id, ChatAction.TYPING)
                await asyncio.sleep(4.5)

    async def _send(self) -> None:
        while not self.stopping:
            try:
                batch = await self._send_batch()
            except Exception as exc:  # the database went away for a moment: the sender must outlive it
                self._trouble(exc, "outbox round")
                await asyncio.sleep(IDLE_OUTBOX_CHECK_S)
                continue
            if not batch:
                self.outbox_ready.clear()
                with suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(self.outbox_ready.wait(), timeout=IDLE_OUTBOX_CHECK_S)

    async def _send_batch(self) -> list[telegram.OutgoingMessage]:
        """One round over the due messages, in order per chat."""
        interval = 1 / SEND_RATE_PER_S
        batch = await telegram.next_outgoing(self.active.id)
        held: set[int] = set()  # chats whose earlier message was not sent: their later ones wait for it
        for item in batch:
            if item.chat_id in held:
                continue
            started = time.monotonic()
            self.delivery = asyncio.ensure_future(self._deliver(item))
            sent, pause = await asyncio.shield(self.delivery)
            if not sent:
                held.add(item.chat_id)
            if pause:
                await asyncio.sleep(pause)
                break  # re-read: order is kept after a pause
            await asyncio.sleep(max(0.0, interval - (time.monotonic() - started)))
        return batch

    async def _deliver(self, item: telegram.OutgoingMessage) -> tuple[bool, float]:
        """Send one message: (sent, seconds to pause the whole bot). Marked `sending` first, and the result is
        recorded as soon as the call returns, so only a crash in between can send it twice."""
        await telegram.mark_sending(item.id)
        try:
            message = await self.bot.send_message(item.chat_id, item.text)
        except TelegramRetryAfter as exc:
            await telegram.mark_retry(item.id, delay_s=exc.retry_after, error="429 Too Many Requests")
            return False, float(exc.retry_after)
        except TelegramNetworkError as exc:
            await telegram.mark_retry(item.id, delay_s=2 ** min(item.attempts, 6), error=str(exc))
            return False, 1.0
        except AiogramError as exc:  # 400/403/5xx, or an answer that is not the Bot API's JSON
            give_up = item.attempts + 1 >= MAX_SEND_ATTEMPTS
            await telegram.mark_retry(item.id, delay_s=2 ** min(item.attempts, 6), error=str(exc), give_up=give_up)
            return False, 0.0
        await telegram.mark_sent(item.id, message.message_id)
        return True, 0.0
