"""Bot fleet process: every enabled Telegram bot of every tenant, in one process."""

from __future__ import annotations

import asyncio
import logging
import os
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
    if profile_to := os.environ.get("CHATAI_FLEET_PROFILE"):
        loop.add_signal_handler(signal.SIGUSR1, _profiler(profile_to))
    try:
        log.info("bot fleet started; %d enabled bot(s) registered", await count_enabled_bots())
    except Exception as exc:  # the database is away: the fleet starts anyway and picks the bots up later
        if unavailable_kind(exc) is None:
            raise
        log.warning("bot fleet started; the database is not reachable yet, bots start when it is")
    await Fleet().run(stop)
    await dispose_engines()
    log.info("bot fleet stopped")


def _profiler(path: str):  # type: ignore[no-untyped-def]
    """Benchmarks (fleet_burst --profile): SIGUSR1 starts profiling this process's event loop thread (CPU time),
    the next SIGUSR1 writes the stats to `path` (pstats format)."""
    import cProfile
    import time

    running: list[cProfile.Profile] = []

    def toggle() -> None:
        if running:
            profile = running.pop()
            profile.disable()
            profile.dump_stats(path)
            log.info("profile written to %s", path)
        else:
            running.append(cProfile.Profile(time.thread_time))
            running[0].enable()

    return toggle


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    logging.getLogger("aiogram").setLevel(logging.WARNING)  # its request logs would carry the bot token URL
    for name in ("httpx", "httpx2"):  # a line per LLM request (the OpenAI client's transport): noise at fleet scale
        logging.getLogger(name).setLevel(logging.WARNING)
    OutageFilter.install()  # a library's traceback of a lost database becomes one line per kind
    from chatai_app.services import logbook

    logbook.install(process="fleet")  # recent records for the admin console's log viewer
    asyncio.run(main())
