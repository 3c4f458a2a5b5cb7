"""The fleet: one runner per enabled bot, kept in step with the database through the event bus, sharing a fixed
number of handlers, senders and bookkeeping writers sized to the database pool (bot_fleet/work.py)."""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from contextlib import suppress

from bot_fleet.runner import BotRunner, Shared, shared_session
from bot_fleet.work import OUTAGES, Capacity, Intake, Offsets, Outbox, WorkQueue, report, supervise
from chatai_app.db import session_scope
from chatai_app.services import telegram
from chatai_app.services.bots import count_enabled_bots as _count
from chatai_app.services.events import get_event_hub
from chatai_app.services.leases import HEARTBEAT_EVERY_S, LeaseManager, build_lease_manager

log = logging.getLogger("bot_fleet")
FLEET_EVENTS = ("assistant.updated", "bot.changed")
RESYNC_EVERY_S = 3  # also how fast bots of a dead fleet process (or beyond a fleet's fair share) move
OUTBOX_SWEEP_S = 15  # one query for the whole fleet: catches a wake-up that was missed (a lost event)


async def count_enabled_bots() -> int:
    async with session_scope() as session:
        return await _count(session=session)


class Fleet:
    """Runs the bots whose lease it holds; several fleet processes share the bots between them."""

    def __init__(self, leases: LeaseManager | None = None, capacity: Capacity | None = None) -> None:
        self.capacity = capacity or Capacity.from_settings()
        self.runners: dict[uuid.UUID, BotRunner] = {}
        self.leases = leases or build_lease_manager()
        self.session = shared_session()
        self.gate = asyncio.Semaphore(self.capacity.bookkeeping)
        self.work = WorkQueue(self.capacity.handlers)
        self.outbox = Outbox(self.capacity.senders, self.runners)
        self.shared = Shared(self.session, self.work, Intake(self.capacity.intake), self.outbox,
                             Offsets(self.gate), self.gate)  # fmt: skip
        self._lock = asyncio.Lock()
        self._fingerprint = ""  # of the enabled bots last read (telegram.enabled_bots_fingerprint)
        self._wanted: dict[uuid.UUID, telegram.ActiveBot] = {}
        self.fleets = 1  # live fleet processes, this one included (their heartbeats)

    def _outdated(self, bot_id: uuid.UUID, wanted: dict[uuid.UUID, telegram.ActiveBot], held: set[str]) -> bool:
        if bot_id not in wanted or str(bot_id) not in held:
            return True
        return self.runners[bot_id].active.identity() != wanted[bot_id].identity()

    async def sync(self, restart: uuid.UUID | None = None) -> None:
        """Start new or re-enabled bots we can lease, up to our fair share (ceil(bots / live fleets)); stop removed,
        disabled, changed or lost ones and those beyond the share (another fleet joined); `restart`: a bot switched
        on again (its mode was just re-applied) starts afresh instead of waiting out a backoff."""
        async with self._lock:
            wanted = await self._enabled_bots()
            held = await self.leases.renew()
            self.fleets = await self.leases.heartbeat()
            share = -(-len(wanted) // self.fleets)
            gone = [b for b in self.runners if b == restart or self._outdated(b, wanted, held)]
            keep = sorted((b for b in self.runners if b not in gone), key=str)
            await self._let_go(gone + keep[share:])  # the surplus goes to a fleet below its share
            fresh = False
            for bot_id in list(wanted):
                if len(self.runners) >= share:
                    break
                if bot_id not in self.runners and await self.leases.acquire(str(bot_id)):
                    if not fresh:  # its stored offset may have moved since the bots were read (another fleet)
                        wanted, fresh = await self._enabled_bots(reread=True), True
                    if (active := wanted.get(bot_id)) is None:
                        await self.leases.release(str(bot_id))
                        continue
                    runner = BotRunner(active, self.shared)
                    self.runners[bot_id] = runner
                    runner.start()
                    log.info("bot @%s started (%s)", active.username, active.mode)

    async def _let_go(self, bot_ids: list[uuid.UUID]) -> None:
        """Stop these bots (the updates and the message in hand finish), store their offsets, then give their
        leases back: the next holder resumes where they stopped."""
        if not bot_ids:
            return
        runners = [self.runners.pop(bot_id) for bot_id in bot_ids]
        await asyncio.gather(*(runner.stop() for runner in runners), return_exceptions=True)
        await self.shared.offsets.flush()
        for runner in runners:
            await self.leases.release(str(runner.active.id))
            log.info("bot @%s stopped", runner.active.username)

    async def _enabled_bots(self, *, reread: bool = False) -> dict[uuid.UUID, telegram.ActiveBot]:
        """The enabled bots; read (and their tokens decrypted) only when they changed: idle, a round costs one
        small query instead of loading a thousand rows every few seconds."""
        async with self.gate:
            fingerprint = await telegram.enabled_bots_fingerprint()
            if reread or fingerprint != self._fingerprint:
                self._wanted = {bot.id: bot for bot in await telegram.active_bots()}
                self._fingerprint = fingerprint
        return self._wanted

    async def resync(self, restart: uuid.UUID | None = None) -> None:
        """sync() that outlives a lost database: one line per kind of failure, the running bots keep going
        (their own loops wait for the database too), and the next round picks up where this one failed."""
        try:
            await self.sync(restart)
        except Exception as exc:
            if not OUTAGES.report(exc, where="fleet sync"):
                log.exception("fleet sync failed; trying again in %d s", RESYNC_EVERY_S)
            return
        OUTAGES.recovered()

    async def sweep(self) -> None:
        """Wake every bot of ours with messages still to send (a missed event, a dead process's leftovers)."""
        try:
            async with self.gate:
                pending = await telegram.bots_with_pending_outbox()
        except Exception as exc:
            report(exc, "outbox sweep")
            return
        for bot_id in pending:
            if bot_id in self.runners:
                self.outbox.wake(bot_id)

    async def run(self, stop: asyncio.Event) -> None:
        """Until `stop`: no single bot, update or message can end it; every task of it is supervised."""
        self.work.start()
        self.outbox.start()
        self.shared.offsets.start()
        beat = asyncio.create_task(supervise("fleet heartbeat", self._heartbeat), name="fleet-heartbeat")
        await self.resync()
        follower = asyncio.create_task(supervise("event follower", self._follow), name="fleet-events")
        swept = time.monotonic()
        while not stop.is_set():
            with suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=RESYNC_EVERY_S)
            await self.resync()
            if time.monotonic() - swept >= OUTBOX_SWEEP_S:
                swept = time.monotonic()
                await self.sweep()
        for task in (follower, beat):
            task.cancel()
            with suppress(asyncio.CancelledError):
                await task
        await asyncio.gather(*(runner.stop() for runner in self.runners.values()), return_exceptions=True)
        self.runners.clear()
        await self.work.stop()
        await self.outbox.stop()
        await self.shared.offsets.stop()
        with suppress(Exception):
            await self.leases.close()
        await self.session.close()

    async def _heartbeat(self) -> None:
        """This fleet's presence, renewed on its own clock: a long resync cannot make it look dead."""
        while True:
            self.fleets = await self.leases.heartbeat()
            await asyncio.sleep(HEARTBEAT_EVERY_S)

    async def _follow(self) -> None:
        """bot.changed -> sync now (a bot added in the UI answers within seconds); telegram.outbox -> send now."""
        async with get_event_hub().listen() as queue:
            while True:
                event = await queue.get()
                if event.type in FLEET_EVENTS:
                    log.info("event %s for tenant %s", event.type, event.tenant_id)
                if event.type == "bot.changed":
                    enabled = event.data.get("action") == "enabled"
                    await self.resync(restart=uuid.UUID(str(event.data["bot_id"])) if enabled else None)
                elif event.type == "telegram.outbox":
                    bot_id = uuid.UUID(str(event.data["bot_id"]))
                    if bot_id in self.runners:
                        self.outbox.wake(bot_id)  # an operator's reply or a webhook update's answer committed
