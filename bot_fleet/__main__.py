"""Bot fleet process. Until the Telegram fleet lands it checks the database and idles."""

from __future__ import annotations

import asyncio
import logging
import signal

from bot_fleet.fleet import count_enabled_bots
from chatai_app.db import dispose_engines

log = logging.getLogger("bot_fleet")


async def main() -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    log.info("bot fleet started; %d enabled bot(s) registered", await count_enabled_bots())
    await stop.wait()
    await dispose_engines()
    log.info("bot fleet stopped")


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    asyncio.run(main())
