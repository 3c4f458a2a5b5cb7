"""Outages of the database, told apart from bugs: one log line per kind of failure, not a traceback per try.

Shared by every process: the web app (`api/errors.py` answers 503 + Retry-After), the job worker and the
bot fleet (their loops wait and go on when the database returns), and the supervisor (`runner.py`).
"""

from __future__ import annotations

import logging
import time

from sqlalchemy import exc as sa_exc

DEFAULT_EVERY_S = 10.0


def unavailable_kind(exc: BaseException) -> str | None:
    """'database_busy' for a pool that stayed full, 'database_down' for a lost database, else None (a bug)."""
    if isinstance(exc, sa_exc.TimeoutError):
        return "database_busy"
    if isinstance(exc, sa_exc.OperationalError | sa_exc.InterfaceError):
        return "database_down"
    if type(exc).__module__.startswith("psycopg") and type(exc).__name__ in (
        "OperationalError",
        "InterfaceError",
        "PoolTimeout",
        "TooManyConnections",
        "AdminShutdown",  # the server is stopping or lost its postmaster (raised on a live connection)
        "CrashShutdown",
        "CannotConnectNow",
    ):
        return "database_down"
    if isinstance(exc, ConnectionError) and "procrastinate" in type(exc).__module__:
        return "database_down"
    cause = exc.__cause__ or exc.__context__
    if cause is not None and cause is not exc and type(exc).__module__.startswith("procrastinate"):
        return unavailable_kind(cause)  # procrastinate wraps psycopg's errors in ConnectorException
    return None


def first_line(exc: BaseException, limit: int = 200) -> str:
    """The first line of the message; for a library's wrapper ("Database error.") the first line of its cause."""
    cause = exc.__cause__ or exc.__context__
    if cause is not None and cause is not exc and type(exc).__module__.startswith("procrastinate"):
        return first_line(cause, limit)
    text = str(exc).strip().splitlines()
    return (text[0] if text else type(exc).__name__)[:limit]


class OutageLog:
    """Rate-limited reporting: the first failure of a kind logs one line, repeats within `every_s` log nothing,
    and the first success afterwards logs that it recovered (with how long it was out)."""

    def __init__(self, logger: logging.Logger, every_s: float = DEFAULT_EVERY_S) -> None:
        self.logger = logger
        self.every_s = every_s
        self._last_logged: dict[str, float] = {}
        self._down_since: dict[str, float] = {}
        self.suppressed: dict[str, int] = {}

    def failed(self, kind: str, message: str, *, where: str = "") -> None:
        now = time.monotonic()
        self._down_since.setdefault(kind, now)
        if now - self._last_logged.get(kind, -1e9) >= self.every_s:
            repeats = self.suppressed.pop(kind, 0)
            more = f" (+{repeats} more since the last line)" if repeats else ""
            self.logger.error("%s%s: %s%s", kind, f" in {where}" if where else "", message, more)
            self._last_logged[kind] = now
        else:
            self.suppressed[kind] = self.suppressed.get(kind, 0) + 1

    def recovered(self) -> None:
        """Call after a success: logs one line per kind that was failing."""
        if not self._down_since:
            return
        now = time.monotonic()
        for kind, since in self._down_since.items():
            self.logger.warning("%s: recovered after %.1f s", kind, now - since)
        self._down_since.clear()
        self._last_logged.clear()
        self.suppressed.clear()

    @property
    def failing(self) -> bool:
        return bool(self._down_since)

    def report(self, exc: BaseException, *, where: str = "") -> bool:
        """Log an outage in one line and return True; return False for anything else (the caller decides)."""
        kind = unavailable_kind(exc)
        if kind is None:
            return False
        self.failed(kind, first_line(exc), where=where)
        return True


class OutageFilter(logging.Filter):
    """A handler filter for libraries that log a traceback per failure (procrastinate, aiogram, Reflex): a record
    whose exception is a database outage becomes one line, and repeats of its kind within `every_s` are dropped."""

    def __init__(self, every_s: float = DEFAULT_EVERY_S) -> None:
        super().__init__()
        self.every_s = every_s
        self._last: dict[str, float] = {}

    def filter(self, record: logging.LogRecord) -> bool:
        if not record.exc_info or record.exc_info[1] is None:
            return True
        exc = record.exc_info[1]
        kind = unavailable_kind(exc)
        if kind is None:
            return True
        now = time.monotonic()
        if now - self._last.get(kind, -1e9) < self.every_s:
            return False
        self._last[kind] = now
        context = " ".join(record.getMessage().split())[:200]
        record.msg, record.args = "%s: %s (%s)", (kind, first_line(exc), context)
        record.exc_info, record.exc_text = None, None
        return True

    @classmethod
    def install(cls, every_s: float = DEFAULT_EVERY_S) -> OutageFilter:
        """On every handler of the root logger (call after logging.basicConfig)."""
        installed = cls(every_s)
        for handler in logging.getLogger().handlers:
            handler.addFilter(installed)
        return installed
