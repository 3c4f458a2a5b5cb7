"""Admission control: how many conversation turns run at once in this process, and how long a caller queues.

A turn checks out database connections one step at a time; letting hundreds run at once makes them all
wait on the pool and time out together. A bounded number of turns run, the rest queue briefly, and a
caller that would wait too long gets ServiceBusy (HTTP 503 + Retry-After) instead of a hang.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from chatai_app.services.errors import ServiceBusy
from chatai_app.settings import get_settings

_gates: dict[tuple[asyncio.AbstractEventLoop, int], asyncio.Semaphore] = {}


def _gate() -> asyncio.Semaphore:
    key = (asyncio.get_running_loop(), get_settings().max_concurrent_turns)
    if key not in _gates:
        _gates.clear()  # one live loop and size per process; a new loop (or setting) replaces the old gate
        _gates[key] = asyncio.Semaphore(key[1])
    return _gates[key]


@asynccontextmanager
async def turn_slot(*, wait_s: float | None) -> AsyncIterator[None]:
    """Hold one of the process's turn slots; `wait_s=None` waits as long as it takes (queue consumers)."""
    gate = _gate()
    try:
        await asyncio.wait_for(gate.acquire(), timeout=wait_s)
    except TimeoutError:
        raise ServiceBusy(retry_after_s=max(1, round((wait_s or 0) / 4))) from None
    try:
        yield
    finally:
        gate.release()
