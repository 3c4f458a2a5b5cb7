"""Bot fleet process. Until the Telegram fleet lands it checks the database and follows the event bus
(`assistant.updated`, `bot.changed`) so running bots can reload without a restart."""

from __future__ import annotations

import asyncio
import logging
import signal
from contextlib import suppress

from bot_fleet.fleet import count_enabled_bots, follow_events
from chatai_app.db import dispose_engines

log = logging.getLogger("bot_fleet")


async def main() -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    log.info("bot fleet started; %d enabled bot(s) registered", await count_enabled_bots())
    follower = asyncio.create_task(follow_events())
    await stop.wait()
    follower.cancel()
    with suppress(asyncio.CancelledError):
        await follower
    await dispose_engines()
    log.info("bot fleet stopped")


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    asyncio.run(main())
