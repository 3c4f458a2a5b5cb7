"""One bot: long polling through the fleet's handlers (offset committed only after the updates are handled),
the outbox rounds its fleet's senders run for it, and typing notices while an answer is being worked on."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable
from contextlib import suppress
from dataclasses import dataclass

from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ChatAction
from aiogram.exceptions import AiogramError, TelegramNetworkError, TelegramRetryAfter
from aiogram.methods import GetMe, GetUpdates, Response, SendChatAction, SendMessage
from aiogram.types import InlineKeyboardMarkup, Update

from bot_fleet.work import OUTAGES, Intake, Offsets, Outbox, WorkQueue, report, supervise
from chatai_app.outages import unavailable_kind
from chatai_app.services import telegram, telegram_feedback
from chatai_app.settings import get_settings

__all__ = ["OUTAGES", "BotRunner", "Shared", "shared_session"]
log = logging.getLogger("bot_fleet")
MAX_BACKOFF_S = 30.0
POLL_TIMEOUT_S = 50  # Telegram holds a long poll up to 50 s: 1,000 idle bots make 20 getUpdates a second
SEND_RATE_PER_S = 30  # Telegram's broadcast limit per bot
MAX_SEND_ATTEMPTS = 5
MAX_UPDATE_ATTEMPTS = 5  # an update whose handling keeps failing (not an outage) is given up after this many tries
TYPING_EVERY_S = 4.5  # Telegram shows "typing" for 5 s or until the next message
RECORD_FOR_S = 120.0  # how long a send's result is retried against a busy or lost database

# aiogram reads every answer as Response[<the method's return type>], a generic pydantic model that pydantic
# caches only weakly: under load the class is collected and rebuilt (a schema build, milliseconds for Update)
# about every sixth call (fleet_burst --profile). Held here, each is built once.
RESPONSE_TYPES = [Response[method.__returning__] for method in (GetMe, GetUpdates, SendChatAction, SendMessage)]


def shared_session() -> AiohttpSession:
    """One HTTP session (connection pool) for every bot of the fleet: bots differ only by token in the URL."""
    # No connection cap: every polling bot keeps one long poll open.
    return AiohttpSession(api=TelegramAPIServer.from_base(get_settings().telegram_api_url), limit=0)


@dataclass(frozen=True, order=True)
class Problem:
    """An update that was not handled: `retry` holds the offset at it (it comes again), else it was given up."""

    update_id: int
    description: str
    retry: bool = True


@dataclass
class Shared:
    """What a fleet's bots share (see bot_fleet/work.py)."""

    session: AiohttpSession
    work: WorkQueue
    intake: Intake
    outbox: Outbox
    offsets: Offsets
    gate: asyncio.Semaphore  # bookkeeping writes: status, the fleet's reads


class BotRunner:
    def __init__(self, active: telegram.ActiveBot, shared: Shared) -> None:
        self.active = active
        self.shared = shared
        self.bot = Bot(active.token, session=shared.session)
        self.offset = active.offset
        self.task: asyncio.Task[None] | None = None
        self.stopping = False
        self.in_hand: set[asyncio.Future[object]] = set()  # jobs a handler is working on: stop() lets them finish
        self.delivery: asyncio.Future[tuple[bool, float]] | None = None  # stop() lets a send in hand finish
        self.paused_until = 0.0  # 429: the whole bot waits (loop time)
        self.attempts: dict[int, int] = {}  # update id -> failed handling attempts (outages not counted)
        # Update ids above this were never handled by anyone: the bot's last one on record when this fleet took
        # it, raised as this runner starts each update (a redelivered one is at or below it: checked).
        self.seen_upto = active.processed_upto
        self.status, self._error = "", ""

    def start(self) -> None:
        body = self._poll if self.active.mode == "polling" else self._check
        where = f"bot @{self.active.username} {'polling' if self.active.mode == 'polling' else 'check'}"
        self.task = asyncio.create_task(
            supervise(where, body, stopping=lambda: self.stopping, on_failure=self._failed),
            name=f"{self.active.mode}-{self.active.username}",
        )
        self.shared.outbox.wake(self.active.id)  # whatever a previous holder left unsent

    async def stop(self) -> None:
        """Finish the updates and the message in hand (their results are recorded), drop the waiting ones."""
        self.stopping = True
        if self.task is not None:
            self.task.cancel()
            await asyncio.gather(self.task, return_exceptions=True)  # the shared session stays open
        if self.in_hand:
            await asyncio.gather(*self.in_hand, return_exceptions=True)
        if self.delivery is not None:
            await asyncio.gather(self.delivery, return_exceptions=True)

    async def _failed(self, exc: BaseException) -> None:
        """A crash of this bot's task (restarted by its supervisor): shown as the bot's status."""
        if unavailable_kind(exc) is None:
            await self._status("error", f"{type(exc).__name__}: {exc}")

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
        checked = False  # getMe, then a first poll that returns at once: "running" within a second, not 50 s
        while not self.stopping:
            room = await self.shared.intake.room()  # back-pressure: no fetching while the handlers are behind
            try:
                if not checked:
                    await self.bot.get_me()
                updates = await self.bot.get_updates(offset=self.offset or None, limit=room,
                                                     timeout=POLL_TIMEOUT_S if checked else 0,
                                                     allowed_updates=telegram.ALLOWED_UPDATES,
                                                     request_timeout=POLL_TIMEOUT_S + 15)  # fmt: skip
            except TelegramRetryAfter as exc:
                await asyncio.sleep(exc.retry_after)
                continue
            except (AiogramError, TelegramNetworkError) as exc:  # 409: a webhook is set (enable re-applies the mode)
                await self._quietly(self._status("error", str(exc)))
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 60)
                continue
            checked = True
            failure = await self._handle_batch(updates) if updates else None
            if failure is None:
                backoff = 1.0
                await self._quietly(self._status("running"))
                continue
            await self._quietly(self._status("error", failure))
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, MAX_BACKOFF_S)

    async def _handle_batch(self, updates: list[Update]) -> str | None:
        """Hand one poll's updates to the fleet's handlers, one job per chat (its updates in order, chats in
        parallel); move the offset past what was handled. A failure's description, or None."""
        self.shared.intake.take(len(updates))
        chats: dict[object, list[Update]] = {}
        for update in updates:
            key = update.message.chat.id if update.message is not None else ("update", update.update_id)
            chats.setdefault(key, []).append(update)
        jobs = []
        for chat_updates in chats.values():
            given = [False]

            def finished(n: int = len(chat_updates), given: list[bool] = given) -> None:
                if not given[0]:
                    given[0] = True
                    self.shared.intake.give(n)

            jobs.append(self.shared.work.submit(lambda u=chat_updates: self._handle_chat(u),  # type: ignore[misc]
                                                skip=lambda: self.stopping, finished=finished))  # fmt: skip
        results = await asyncio.gather(*jobs, return_exceptions=True)
        problems = sorted(r if isinstance(r, Problem) else Problem(updates[0].update_id, f"{r!r}")
                          for r in results if r is not None)  # fmt: skip
        retry = [p.update_id for p in problems if p.retry]
        # A failed update and everything after it come again; those handled meanwhile are recognised by id.
        self.offset = max(self.offset, min(retry) if retry else updates[-1].update_id + 1)
        self.shared.offsets.note(self.active.id, self.offset)
        return problems[0].description if problems else None

    async def _handle_chat(self, updates: list[Update]) -> Problem | None:
        """In a handler: one chat's updates in order; stops at the first failure (to be tried again)."""
        given_up = None
        for update in updates:
            if self.stopping:
                return Problem(update.update_id, "stopping")
            done = asyncio.get_running_loop().create_future()
            self.in_hand.add(done)
            try:
                await self.handle(update)
            except Exception as exc:
                if unavailable_kind(exc) is not None:
                    report(exc, f"bot @{self.active.username} update")
                    return Problem(update.update_id, f"database unavailable: {exc}"[:300])
                tries = self.attempts[update.update_id] = self.attempts.get(update.update_id, 0) + 1
                log.error("bot @%s: update %d failed (try %d of %d)", self.active.username, update.update_id, tries,
                          MAX_UPDATE_ATTEMPTS, exc_info=exc)  # fmt: skip
                reason = f"{type(exc).__name__}: {exc}"
                if tries < MAX_UPDATE_ATTEMPTS:
                    return Problem(update.update_id, f"update {update.update_id} failed: {reason}"[:500])
                log.error("bot @%s: update %d given up", self.active.username, update.update_id)
                given_up = Problem(update.update_id, f"update {update.update_id} given up after {tries} tries: "
                                                     f"{reason}"[:500], retry=False)  # fmt: skip
            finally:
                done.set_result(None)
                self.in_hand.discard(done)
            self.attempts.pop(update.update_id, None)
        return given_up

    async def _quietly(self, step: Awaitable[None]) -> bool:
        try:
            await step
        except Exception as exc:
            report(exc, f"bot @{self.active.username} status")
            return False
        return True

    async def _status(self, status: str, error: str = "") -> None:
        """Write the status only when it changes: a thousand idle bots must not hammer the database."""
        if (status, error) != (self.status, self._error):
            async with self.shared.gate:
                await telegram.record_status(self.active.id, status=status, error=error)
            self.status, self._error = status, error

    async def handle(self, update: Update) -> None:
        never_seen = update.update_id > self.seen_upto  # one processed check (a transaction) less per new update
        self.seen_upto = max(self.seen_upto, update.update_id)
        # by_alias: the Bot API field is `from` (aiogram's attribute is `from_user`); the webhook JSON has `from`
        payload = update.model_dump(mode="json", exclude_none=True, by_alias=True)
        inbound = telegram.inbound_from_json(payload, self.active.username)
        if inbound is None:
            if (press := telegram_feedback.callback_from_json(payload)) is not None:
                await self._answer_press(press)
            return
        answers = inbound.text and (inbound.chat_type == "private" or inbound.mentions_bot)
        typing = asyncio.create_task(self._typing(inbound.chat_id)) if answers else None
        try:
            await telegram.handle_update(self.active, inbound, never_seen=never_seen)
        finally:
            if typing:
                typing.cancel()
        self.shared.outbox.wake(self.active.id)  # the reply just committed: its chat's sender goes now

    async def _answer_press(self, press: telegram_feedback.InboundCallback) -> None:
        """A 👍/👎 press under an answer: the vote is recorded, the press answered, the keyboard shows the choice.
        Telegram refusing either call (a query too old to answer) loses nothing: the vote is stored."""
        answer = await telegram_feedback.handle_callback(self.active, press)
        with suppress(AiogramError, TelegramNetworkError):
            await self.bot.answer_callback_query(press.callback_id, text=answer.text)
        if answer.markup and answer.chat_id is not None and answer.telegram_message_id is not None:
            with suppress(AiogramError, TelegramNetworkError):
                await self.bot.edit_message_reply_markup(
                    chat_id=answer.chat_id, message_id=answer.telegram_message_id,
                    reply_markup=InlineKeyboardMarkup.model_validate(answer.markup),
                )  # fmt: skip

    async def _typing(self, chat_id: int) -> None:
        """While a handler works on a chat's update: at once, then every 4.5 s (never while it only waits)."""
        with suppress(AiogramError, TelegramNetworkError):
            while True:
                await self.bot.send_chat_action(chat_id, ChatAction.TYPING)
                await asyncio.sleep(TYPING_EVERY_S)

    async def send_round(self) -> float | None:
        """One round over the due messages, in order per chat (run by one of the fleet's senders); in how many
        seconds to come back (a 429 pause, a retry or grace period ending, more than one round's worth)."""
        loop = asyncio.get_running_loop()
        if (pause := self.paused_until - loop.time()) > 0:
            return pause
        interval = 1 / SEND_RATE_PER_S
        batch, again_after = await telegram.outgoing_round(self.active.id)  # in this sender's own slot
        held: set[int] = set()  # chats whose earlier message was not sent: their later ones wait for it
        for item in batch:
            if self.stopping:
                return None
            if item.chat_id in held:
                continue
            started = time.monotonic()
            self.delivery = asyncio.ensure_future(self._deliver(item))
            sent, pause = await asyncio.shield(self.delivery)
            if not sent:
                held.add(item.chat_id)
                again_after = 0.0 if again_after is None else again_after  # re-read: its retry time is stored
            if pause:
                self.paused_until = loop.time() + pause
                return pause  # re-read after the pause: order is kept
            await asyncio.sleep(max(0.0, interval - (time.monotonic() - started)))
        return again_after

    async def _deliver(self, item: telegram.OutgoingMessage) -> tuple[bool, float]:
        """Send one message: (sent, seconds to pause the whole bot). Marked `sending` first, and the result is
        recorded as soon as the call returns, so only a crash in between can send it twice."""
        await telegram.mark_sending(item.id)
        try:
            markup = InlineKeyboardMarkup.model_validate(item.reply_markup) if item.reply_markup else None
            message = await self.bot.send_message(item.chat_id, item.text, reply_markup=markup)
        except TelegramRetryAfter as exc:
            await self._record(telegram.mark_retry, item.id, delay_s=exc.retry_after, error="429 Too Many Requests")
            return False, float(exc.retry_after)
        except TelegramNetworkError as exc:
            await self._record(telegram.mark_retry, item.id, delay_s=2 ** min(item.attempts, 6), error=str(exc))
            return False, 1.0
        except AiogramError as exc:  # 400/403/5xx, or an answer that is not the Bot API's JSON
            give_up = item.attempts + 1 >= MAX_SEND_ATTEMPTS
            await self._record(telegram.mark_retry, item.id, delay_s=2 ** min(item.attempts, 6), error=str(exc),
                               give_up=give_up)  # fmt: skip
            return False, 0.0
        await self._record(telegram.mark_sent, item.id, message.message_id)
        return True, 0.0

    async def _record(self, step: object, *args: object, **kwargs: object) -> None:
        """What Telegram answered must be stored: a message it took and we failed to mark `sent` would go out
        again after the grace period. A failed write (a busy or lost database) is tried again for a while."""
        backoff, deadline = 0.2, time.monotonic() + RECORD_FOR_S
        while True:
            try:
                await step(*args, **kwargs)  # type: ignore[operator]
                return
            except Exception as exc:
                report(exc, f"bot @{self.active.username} outbox result")
                if time.monotonic() > deadline:
                    raise
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 5.0)
