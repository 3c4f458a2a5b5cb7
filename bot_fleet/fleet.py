"""Which bots this fleet serves, and the events that change them."""

from __future__ import annotations

import logging

from chatai_app.db import session_scope
from chatai_app.services.bots import count_enabled_bots as _count
from chatai_app.services.events import get_event_hub

log = logging.getLogger("bot_fleet")
FLEET_EVENTS = ("assistant.updated", "bot.changed")


async def count_enabled_bots() -> int:
    async with session_scope() as session:
        return await _count(session=session)


async def follow_events() -> None:
    """Assistant settings are read per message, so an update needs no reload; bot changes will (issue 5)."""
    async with get_event_hub().listen() as queue:
        while True:
            event = await queue.get()
            if event.type in FLEET_EVENTS:
                log.info("event %s for tenant %s: %s", event.type, event.tenant_id, event.data)
