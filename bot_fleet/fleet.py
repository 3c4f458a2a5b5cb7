"""The fleet: one runner per enabled bot, kept in step with the database through the event bus."""

from __future__ import annotations

import asyncio
import logging
import uuid
from contextlib import suppress

from bot_fleet.runner import BotRunner
from chatai_app.db import session_scope
from chatai_app.services import telegram
from chatai_app.services.bots import count_enabled_bots as _count
from chatai_app.services.events import get_event_hub

log = logging.getLogger("bot_fleet")
FLEET_EVENTS = ("assistant.updated", "bot.changed")
RESYNC_EVERY_S = 15


async def count_enabled_bots() -> int:
    async with session_scope() as session:
        return await _count(session=session)


class Fleet:
    def __init__(self) -> None:
        self.runners: dict[uuid.UUID, BotRunner] = {}
        self._lock = asyncio.Lock()

    async def sync(self) -> None:
        """Start new or re-enabled bots, stop removed or disabled ones, restart changed ones."""
        async with self._lock:
            wanted = {bot.id: bot for bot in await telegram.active_bots()}
            for bot_id in [
                b for b in self.runners if b not in wanted or self.runners[b].active.identity() != wanted[b].identity()
            ]:
                await self.runners.pop(bot_id).stop()
            for bot_id, active in wanted.items():
                if bot_id not in self.runners:
                    runner = BotRunner(active)
                    runner.start()
                    self.runners[bot_id] = runner
                    log.info("bot @%s started (%s)", active.username, active.mode)

    async def run(self, stop: asyncio.Event) -> None:
        await self.sync()
        follower = asyncio.create_task(self._follow())
        while not stop.is_set():
            with suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=RESYNC_EVERY_S)
            await self.sync()
        follower.cancel()
        with suppress(asyncio.CancelledError):
            await follower
        await asyncio.gather(*(runner.stop() for runner in self.runners.values()))
        self.runners.clear()

    async def _follow(self) -> None:
        """bot.changed -> sync now (a bot added in the UI answers within seconds)."""
        async with get_event_hub().listen() as queue:
            while True:
                event = await queue.get()
                if event.type in FLEET_EVENTS:
                    log.info("event %s for tenant %s", event.type, event.tenant_id)
                if event.type == "bot.changed":
                    await self.sync()
                elif event.type == "telegram.outbox" and (runner := self.runners.get(uuid.UUID(event.data["bot_id"]))):
                    runner.outbox_ready.set()  # a webhook update queued a reply
