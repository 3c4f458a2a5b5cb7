"""Which process runs a page's live task.

A page's live task (it follows the event hub and pushes changes over the page's websocket) runs in the process
that holds the websocket. With state in Redis the page's flags outlive that process: when a web node dies
(`kill -9`, no `finally`) or the websocket moves to another node, the state still says "live" while no task
there serves it. So the flag names its owner: a task of this process, or one that no longer serves the page.
A reconnect (it reruns the page's on_load) or a heartbeat on another process claims the page anew; the old task,
if its process is alive, sees it was superseded and stops."""

from __future__ import annotations

import asyncio
import logging
import random
import time
import uuid

from chatai_app.outages import OutageLog
from chatai_app.services.accounts import AuthContext
from chatai_app.services.errors import DomainError
from chatai_app.services.permissions import Permission
from chatai_app.state.session import context_of

log = logging.getLogger(__name__)
OUTAGES = OutageLog(log)
CONTEXT_FRESH_S = 10  # a live task re-reads who the member is (assistants, role) at least this often
PROCESS_MARK = uuid.uuid4().hex  # one per process: a restarted node is a new owner


def claim() -> str:
    """A new owner mark for a live task started in this process."""
    return f"{PROCESS_MARK}:{uuid.uuid4().hex[:8]}"


def served_here(live: bool, owner: str) -> bool:
    """The page's live task runs in this process (so starting another would only duplicate it)."""
    return live and owner.startswith(f"{PROCESS_MARK}:")


class LiveContext:
    """A live task's signed-in member, re-read from the session token once it is `fresh_s` old: an owner
    narrowing an operator's assistants (or changing the role, or removing them) reaches a page that stays open,
    not only its next click. The re-read runs beside the page's reload, not before it: the pages one event wakes
    would otherwise all wait on the database first (100 open inboxes: 100 reads on the delivery path), so a
    change applies from the next event after the read; pages opened together re-read at spread times. A
    signed-out or removed operator raises DomainError (the live task ends); while the database is away the last
    context is kept (no read can be served then anyway)."""

    def __init__(self, token: str, permission: Permission, context: AuthContext, fresh_s: float = CONTEXT_FRESH_S):
        self._token, self._permission = token, permission
        self._fresh_s = fresh_s * random.uniform(1.0, 1.5)  # spread, so pages opened together re-read apart
        self._context, self._read_at = context, time.monotonic()
        self._reading: asyncio.Future[AuthContext] | None = None

    async def current(self) -> AuthContext:
        if self._reading is not None and self._reading.done():
            reading, self._reading = self._reading, None
            self._context = reading.result()  # DomainError: signed out or removed
        if self._reading is None and time.monotonic() - self._read_at >= self._fresh_s:
            self._read_at = time.monotonic()
            self._reading = asyncio.ensure_future(self._read())
            self._reading.add_done_callback(_seen)  # a task that ends first leaves no 'never retrieved' log
        return self._context

    async def settled(self) -> AuthContext:
        """Wait for a re-read in flight and take it (the end of an idle wait; tests)."""
        if self._reading is not None:
            await asyncio.wait([self._reading])
        return await self.current()

    async def _read(self) -> AuthContext:
        try:
            return await context_of(self._token, self._permission)
        except DomainError:
            raise
        except Exception as exc:  # the database briefly away: keep the last one
            if not OUTAGES.report(exc, where="live context"):
                log.exception("live context failed")
            return self._context


def _seen(reading: asyncio.Future[AuthContext]) -> None:
    if not reading.cancelled():
        reading.exception()
