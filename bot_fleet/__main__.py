"""Bot fleet process: every enabled Telegram bot of every tenant, in one process."""

from __future__ import annotations

import asyncio
import logging
import signal

from bot_fleet.fleet import Fleet, count_enabled_bots
from chatai_app.db import dispose_engines
from chatai_app.outages import OutageFilter, unavailable_kind

log = logging.getLogger("bot_fleet")


async def main() -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        log.info("bot fleet started; %d enabled bot(s) registered", await count_enabled_bots())
    except Exception as exc:  # the database is away: the fleet starts anyway and picks the bots up later
        if unavailable_kind(exc) is None:
            raise
        log.warning("bot fleet started; the database is not reachable yet, bots start when it is")
    await Fleet().run(stop)
    await dispose_engines()
    log.info("bot fleet stopped")


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    logging.getLogger("aiogram").setLevel(logging.WARNING)  # its request logs would carry the bot token URL
    for name in ("httpx", "httpx2"):  # a line per LLM request (the OpenAI client's transport): noise at fleet scale
        logging.getLogger(name).setLevel(logging.WARNING)
    OutageFilter.install()  # a library's traceback of a lost database becomes one line per kind
    from chatai_app.services import logbook

    logbook.install(process="fleet")  # recent records for the admin console's log viewer
    asyncio.run(main())
