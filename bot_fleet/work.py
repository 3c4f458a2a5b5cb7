"""What the bots of one fleet process share: a fixed number of update handlers, outbox senders and bookkeeping
writers, sized to the process's database pool, a bounded intake of fetched updates, and supervision.

A thousand bots must not mean a thousand concurrent engine turns: each of those checks out a database
connection, and a pool of 20 then makes them all wait and time out together. Here at most `handlers` turns run
(one connection each), at most `senders` bots send at once, and the small writes (status, offsets, the fleet's
own reads) share `bookkeeping` slots, so the pool is never asked for more than it has. Bots stop fetching
updates while `intake` updates wait for a handler (back-pressure on getUpdates).
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Awaitable, Callable, Coroutine
from contextlib import suppress
from dataclasses import dataclass
from typing import Any, Protocol

from chatai_app.outages import OutageLog
from chatai_app.services import telegram
from chatai_app.settings import Settings, get_settings

log = logging.getLogger("bot_fleet")
OUTAGES = OutageLog(log)  # one line per kind of database failure for the whole fleet, not one per bot and try
FIRST_BACKOFF_S = 1.0
MAX_BACKOFF_S = 30.0
HEALTHY_AFTER_S = 60.0  # a task that ran this long before failing starts again from the first backoff
INTAKE_PER_HANDLER = 8  # fetched updates waiting per handler before bots stop fetching
MAX_SENDERS = 8
OFFSET_FLUSH_S = 0.2  # offsets of handled updates are written together, at most this often


@dataclass(frozen=True)
class Capacity:
    handlers: int  # engine turns at once (one pooled connection each)
    senders: int  # bots sending their outbox at once (one connection each)
    bookkeeping: int  # status and offset writes, the fleet's own reads
    intake: int  # updates fetched and not yet handled, fleet-wide

    @classmethod
    def from_settings(cls, settings: Settings | None = None) -> Capacity:
        """Split the pool (DB_POOL_SIZE + DB_MAX_OVERFLOW): about half to turns (never more than
        MAX_CONCURRENT_TURNS, so the engine's own turn gate never makes a handler wait), a quarter to senders,
        the rest to bookkeeping. With a tiny pool each gets one and a checkout waits for one short query."""
        settings = settings or get_settings()
        pool = max(1, settings.db_pool_size + settings.db_max_overflow)
        handlers = max(1, min(settings.max_concurrent_turns, pool // 2))
        senders = max(1, min(MAX_SENDERS, pool // 4))
        bookkeeping = max(1, pool - handlers - senders)
        return cls(handlers, senders, bookkeeping, handlers * INTAKE_PER_HANDLER)


def report(exc: BaseException, where: str) -> None:
    """A lost or busy database: one line per kind for the whole fleet. Anything else: its traceback."""
    if not OUTAGES.report(exc, where=where):
        log.error("%s failed", where, exc_info=exc)


async def supervise(
    where: str,
    body: Callable[[], Coroutine[Any, Any, None]],
    *,
    stopping: Callable[[], bool] = lambda: False,
    on_failure: Callable[[BaseException], Awaitable[None]] | None = None,
) -> None:
    """Run `body` until it returns; when it raises, log it, tell `on_failure` (a bot shows it as its status) and
    start it again after a backoff (1 s doubling to 30 s; from 1 s again after a healthy minute)."""
    backoff = FIRST_BACKOFF_S
    while not stopping():
        started = time.monotonic()
        try:
            await body()
            return
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            report(exc, where)
            if on_failure is not None:
                try:
                    await on_failure(exc)
                except Exception as again:  # the status could not be written either (the database is away)
                    report(again, f"{where} status")
        if time.monotonic() - started > HEALTHY_AFTER_S:
            backoff = FIRST_BACKOFF_S
        await asyncio.sleep(backoff)
        backoff = min(backoff * 2, MAX_BACKOFF_S)


class Intake:
    """Updates fetched but not yet handled; bots wait for room before asking Telegram for more."""

    def __init__(self, capacity: int) -> None:
        self.capacity = max(1, capacity)
        self.in_flight = 0
        self._room = asyncio.Event()
        self._room.set()

    async def room(self) -> int:
        """Wait until there is room; how many updates may be fetched now (Telegram's limit is 1-100)."""
        while self.in_flight >= self.capacity:
            await self._room.wait()
        return max(1, min(100, self.capacity - self.in_flight))

    def take(self, n: int) -> None:
        self.in_flight += n
        if self.in_flight >= self.capacity:
            self._room.clear()

    def give(self, n: int) -> None:
        self.in_flight = max(0, self.in_flight - n)
        if self.in_flight < self.capacity:
            self._room.set()


@dataclass
class Job:
    """One chat's updates of one poll, handled in order by one handler; `done` gets the first failure or None."""

    run: Callable[[], Coroutine[Any, Any, object]]
    skip: Callable[[], bool]  # its bot was stopped before a handler got to it
    done: asyncio.Future[object]
    finished: Callable[[], None]  # gives its room back to the intake, exactly once


class WorkQueue:
    """A fixed number of handlers taking jobs in arrival order."""

    def __init__(self, handlers: int) -> None:
        self.handlers = handlers
        self._queue: asyncio.Queue[Job] = asyncio.Queue()
        self._tasks: list[asyncio.Task[None]] = []
        self.busy = 0

    def start(self) -> None:
        for n in range(self.handlers):
            self._tasks.append(asyncio.create_task(supervise(f"update handler {n}", self._handle), name=f"handler-{n}"))

    def submit(self, run: Callable[[], Coroutine[Any, Any, object]], *, skip: Callable[[], bool],
               finished: Callable[[], None]) -> asyncio.Future[object]:  # fmt: skip
        done: asyncio.Future[object] = asyncio.get_running_loop().create_future()
        self._queue.put_nowait(Job(run, skip, done, finished))
        return done

    @property
    def waiting(self) -> int:
        return self._queue.qsize()

    async def _handle(self) -> None:
        while True:
            job = await self._queue.get()
            try:
                if job.done.done() or job.skip():
                    if not job.done.done():
                        job.done.cancel()
                    continue
                self.busy += 1
                try:
                    result = await job.run()
                except Exception as exc:  # run() records its own failures; this is a bug in it: keep going
                    report(exc, "update handler")
                    result = exc
                finally:
                    self.busy -= 1
                if not job.done.done():
                    job.done.set_result(result)
            finally:
                job.finished()

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()
        while not self._queue.empty():
            job = self._queue.get_nowait()
            if not job.done.done():
                job.done.cancel()
            job.finished()


class Sender(Protocol):
    active: telegram.ActiveBot
    stopping: bool

    async def send_round(self) -> float | None:
        """Send what is due; seconds until this bot should be woken again (None: when something new comes)."""
        ...


class Outbox:
    """Delivery driven by wake-ups, not by a loop per bot: a bot is woken when a reply for it commits (by the
    handler that stored it, or by a `telegram.outbox` event from another process), when a held message becomes
    due (a timer), and by a sweep over the whole outbox every few seconds that catches anything missed. A fixed
    number of senders take woken bots in turn; one bot is sent by one sender at a time (its chats stay in order)."""

    def __init__(self, senders: int, runners: dict[uuid.UUID, Sender]) -> None:
        self.senders = senders
        self.runners = runners
        self._queue: asyncio.Queue[uuid.UUID] = asyncio.Queue()
        self._queued: set[uuid.UUID] = set()
        self._active: set[uuid.UUID] = set()
        self._again: set[uuid.UUID] = set()  # woken while being sent: one more round after this one
        self._timers: dict[uuid.UUID, tuple[float, asyncio.TimerHandle]] = {}
        self._tasks: list[asyncio.Task[None]] = []

    def start(self) -> None:
        for n in range(self.senders):
            self._tasks.append(asyncio.create_task(supervise(f"outbox sender {n}", self._send), name=f"sender-{n}"))

    def wake(self, bot_id: uuid.UUID, after_s: float = 0.0) -> None:
        if after_s > 0:
            self._wake_later(bot_id, after_s)
            return
        if bot_id in self._active:
            self._again.add(bot_id)
        elif bot_id not in self._queued:
            self._queued.add(bot_id)
            self._queue.put_nowait(bot_id)

    def _wake_later(self, bot_id: uuid.UUID, after_s: float) -> None:
        loop = asyncio.get_running_loop()
        when = loop.time() + after_s
        current = self._timers.get(bot_id)
        if current is not None and current[0] <= when and not current[1].cancelled():
            return  # an earlier wake-up is already set
        if current is not None:
            current[1].cancel()

        def fire() -> None:
            self._timers.pop(bot_id, None)
            self.wake(bot_id)

        self._timers[bot_id] = (when, loop.call_at(when, fire))

    async def _send(self) -> None:
        while True:
            bot_id = await self._queue.get()
            self._queued.discard(bot_id)
            runner = self.runners.get(bot_id)
            if runner is None or runner.stopping:
                continue
            self._active.add(bot_id)
            again_after: float | None = None
            try:
                again_after = await runner.send_round()
            except Exception as exc:  # the database went away for a moment: try this bot again later
                report(exc, f"bot @{runner.active.username} outbox")
                again_after = 5.0
            finally:
                self._active.discard(bot_id)
            if bot_id in self._again:
                self._again.discard(bot_id)
                self.wake(bot_id)
            elif again_after is not None:
                self.wake(bot_id, again_after)

    async def stop(self) -> None:
        for _, handle in self._timers.values():
            handle.cancel()
        self._timers.clear()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()


class Offsets:
    """Offsets of handled updates, written for all bots in one statement as soon as the last write is done
    (Telegram is told by the next getUpdates; the stored offset is where a restarted fleet resumes, and an
    update handled again after a crash is recognised by its id, so a write a moment later loses nothing)."""

    def __init__(self, gate: asyncio.Semaphore) -> None:
        self._gate = gate
        self._pending: dict[uuid.UUID, int] = {}
        self._dirty = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def note(self, bot_id: uuid.UUID, offset: int) -> None:
        self._pending[bot_id] = max(offset, self._pending.get(bot_id, 0))
        self._dirty.set()

    def start(self) -> None:
        self._task = asyncio.create_task(supervise("offset writer", self._run), name="offsets")

    async def _run(self) -> None:
        while True:
            await self._dirty.wait()
            await self.flush()
            await asyncio.sleep(OFFSET_FLUSH_S)

    async def flush(self) -> None:
        self._dirty.clear()
        pending, self._pending = self._pending, {}
        if not pending:
            return
        try:
            async with self._gate:
                await telegram.record_offsets(pending)
        except BaseException:
            for bot_id, offset in pending.items():  # written next time
                self._pending[bot_id] = max(offset, self._pending.get(bot_id, 0))
            self._dirty.set()
            raise

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with suppress(asyncio.CancelledError):
                await self._task
        with suppress(Exception):
            await self.flush()
