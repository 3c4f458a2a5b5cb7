"""Recent structured log records of every process, kept in `log_records` as a bounded ring, for the admin console.

`install()` adds a handler to the root logger: records (INFO and up from chatai_app/bot_fleet, WARNING and up from
everything else) go to an in-memory queue (never blocking the caller; the oldest are dropped when it is full) and a
daemon thread writes them in batches with its own connection, pruning the table to the newest `KEEP` rows. A
record's tenant comes from `extra={"tenant_id": ...}` or from `tenant_context` (set by the code serving a tenant)."""

from __future__ import annotations

import contextlib
import contextvars
import json
import logging
import os
import queue
import threading
import time
import traceback
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

# Imported here, not by the writer thread: a fork while that thread imports leaves the import lock held in the
# child, whose first database connection then waits forever (a web worker forked right after start-up).
import psycopg
import sqlalchemy as sa
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from chatai_app.models import LogRecord

KEEP = 20_000
FLUSH_EVERY_S = 1.0
QUEUE_MAX = 5_000
LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
tenant_context: contextvars.ContextVar[uuid.UUID | None] = contextvars.ContextVar("log_tenant", default=None)
request_context: contextvars.ContextVar[str] = contextvars.ContextVar("log_request", default="")
dialog_context: contextvars.ContextVar[uuid.UUID | None] = contextvars.ContextVar("log_dialog", default=None)
_installed: RingHandler | None = None


class RingHandler(logging.Handler):
    def __init__(self, database_url: str, process: str) -> None:
        super().__init__(logging.INFO)
        self.database_url, self.process = database_url, process[:40]
        self._start_writer()

    def _start_writer(self) -> None:
        """A fresh queue and writer thread; again in a forked child, where the parent's thread is gone and a lock
        it held at the fork would stay held."""
        self.queue: queue.Queue[dict[str, object]] = queue.Queue(QUEUE_MAX)
        self._thread = threading.Thread(target=self._run, name="chatai-logbook", daemon=True)
        self._thread.start()

    def filter(self, record: logging.LogRecord) -> bool:
        ours = record.name.startswith(("chatai_app", "bot_fleet", "chatai"))
        return record.levelno >= (logging.INFO if ours else logging.WARNING) and not record.name.startswith(
            ("chatai_app.services.logbook", "psycopg", "sqlalchemy")
        )

    def emit(self, record: logging.LogRecord) -> None:
        try:
            message = record.getMessage()
            if record.exc_info and record.exc_info[0] is not None:
                message += "\n" + "".join(traceback.format_exception(*record.exc_info))[-4000:]
            tenant = getattr(record, "tenant_id", None) or tenant_context.get()
            self.queue.put_nowait(
                {
                    "created_at": datetime.fromtimestamp(record.created).astimezone(),
                    "level": record.levelname[:16],
                    "level_no": record.levelno,
                    "logger": record.name[:120],
                    "process": self.process,
                    "message": message[:8000],
                    "tenant_id": str(tenant) if tenant else None,
                    "request_id": str(getattr(record, "request_id", "") or request_context.get())[:32],
                    "dialog_id": str(dialog)
                    if (dialog := getattr(record, "dialog_id", None) or dialog_context.get())
                    else None,
                }
            )
        except queue.Full:
            pass
        except Exception:  # a log handler never breaks its caller
            self.handleError(record)

    def _run(self) -> None:
        connection = None
        flushes = 0
        while True:
            time.sleep(FLUSH_EVERY_S)
            batch = []
            while not self.queue.empty() and len(batch) < 1000:
                batch.append(self.queue.get_nowait())
            if not batch:
                continue
            try:
                if connection is None or connection.closed:
                    connection = psycopg.connect(self.database_url, autocommit=True, connect_timeout=5)
                with connection.cursor() as cursor:
                    cursor.executemany(
                        "INSERT INTO log_records (created_at, level, level_no, logger, process, message, tenant_id, "
                        "request_id, dialog_id) VALUES (%(created_at)s, %(level)s, %(level_no)s, %(logger)s, "
                        "%(process)s, %(message)s, %(tenant_id)s, %(request_id)s, %(dialog_id)s)",
                        batch,
                    )
                    flushes += 1
                    if flushes % 20 == 1:
                        cursor.execute(
                            "DELETE FROM log_records WHERE id <= (SELECT max(id) FROM log_records) - %s", (KEEP,)
                        )
            except Exception:  # the database is away: these records are dropped, the next batch tries again
                connection = None

    def flush_now(self, timeout_s: float = 5.0) -> None:
        """Wait until the queue is written (tests)."""
        deadline = time.monotonic() + timeout_s
        while not self.queue.empty() and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(FLUSH_EVERY_S + 0.2)


def _after_fork_in_child() -> None:
    """Forked processes (granian's web workers) write their records too, with a writer of their own."""
    if _installed is not None:
        _installed._start_writer()


os.register_at_fork(after_in_child=_after_fork_in_child)


def install(database_url: str | None = None, process: str = "") -> RingHandler | None:
    """Once per process; quietly nothing without a database URL."""
    global _installed
    if _installed is not None:
        return _installed
    if database_url is None:
        from chatai_app.settings import get_settings

        database_url = get_settings().database_url
    if not database_url:
        return None
    for prefix in ("postgresql+psycopg://", "postgres://"):
        if database_url.startswith(prefix):
            database_url = "postgresql://" + database_url[len(prefix) :]
    _installed = RingHandler(database_url, process or f"pid {os.getpid()}")
    logging.getLogger().addHandler(_installed)
    if os.environ.get("CHATAI_LOG_FORMAT", "").lower() == "json":
        use_json_lines(_installed.process)
    if logging.getLogger().level > logging.INFO or logging.getLogger().level == logging.NOTSET:
        for name in ("chatai_app", "bot_fleet"):
            if logging.getLogger(name).level == logging.NOTSET:
                logging.getLogger(name).setLevel(logging.INFO)
    return _installed


class JsonLines(logging.Formatter):
    """One JSON object a line, with the ids of what the record was written for (CHATAI_LOG_FORMAT=json)."""

    def __init__(self, process: str) -> None:
        super().__init__()
        self.process = process

    def format(self, record: logging.LogRecord) -> str:
        tenant = getattr(record, "tenant_id", None) or tenant_context.get()
        dialog = getattr(record, "dialog_id", None) or dialog_context.get()
        entry: dict[str, object] = {
            "ts": datetime.fromtimestamp(record.created).astimezone().isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "process": self.process,
            "message": record.getMessage(),
            "request_id": str(getattr(record, "request_id", "") or request_context.get()) or None,
            "tenant_id": str(tenant) if tenant else None,
            "dialog_id": str(dialog) if dialog else None,
        }
        if record.exc_info and record.exc_info[0] is not None:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps({k: v for k, v in entry.items() if v is not None}, ensure_ascii=False, default=str)


def use_json_lines(process: str) -> None:
    """Every stream handler of the root logger writes JSON lines (one is added when there is none)."""
    root = logging.getLogger()
    streams = [h for h in root.handlers if isinstance(h, logging.StreamHandler) and not isinstance(h, RingHandler)]
    if not streams:
        streams = [logging.StreamHandler()]
        root.addHandler(streams[0])
    for handler in streams:
        handler.setFormatter(JsonLines(process))


@contextlib.contextmanager
def turn_context(tenant_id: uuid.UUID | None) -> Iterator[None]:
    """Records written inside name this tenant (and the dialog, once `dialog_context` is set); both reset after."""
    tenant_token, dialog_token = tenant_context.set(tenant_id), dialog_context.set(None)
    try:
        yield
    finally:
        dialog_context.reset(dialog_token)
        tenant_context.reset(tenant_token)


@dataclass(frozen=True)
class LogItem:
    id: int
    created_at: str
    level: str
    logger: str
    process: str
    message: str
    tenant_id: str
    request_id: str
    dialog_id: str = ""


async def recent(
    *,
    session: AsyncSession,
    level: str = "",
    text: str = "",
    tenant_id: uuid.UUID | None = None,
    dialog_id: uuid.UUID | None = None,
    request_id: str = "",
    before_id: int | None = None,
    limit: int = 100,
) -> list[LogItem]:
    """Newest first; `level` is a minimum (WARNING shows warnings and errors), `text` a case-insensitive piece of the
    message or logger name; `before_id` pages back."""
    stmt = select(LogRecord).order_by(LogRecord.id.desc()).limit(min(max(limit, 1), 500))  # type: ignore[union-attr]
    if level:
        if level.upper() not in LEVELS:
            from chatai_app.services.errors import ValidationFailed

            raise ValidationFailed({"level": "Choose DEBUG, INFO, WARNING, ERROR or CRITICAL"})
        stmt = stmt.where(LogRecord.level_no >= logging.getLevelName(level.upper()))
    if text.strip():
        pattern = "%" + text.strip().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        stmt = stmt.where(sa.or_(LogRecord.message.ilike(pattern), LogRecord.logger.ilike(pattern)))  # type: ignore[attr-defined]
    if tenant_id is not None:
        stmt = stmt.where(LogRecord.tenant_id == tenant_id)
    if dialog_id is not None:
        stmt = stmt.where(LogRecord.dialog_id == dialog_id)
    if request_id.strip():
        stmt = stmt.where(LogRecord.request_id == request_id.strip()[:32])
    if before_id:
        stmt = stmt.where(LogRecord.id < before_id)  # type: ignore[operator]
    return [
        LogItem(
            r.id or 0,
            r.created_at.isoformat(timespec="seconds"),
            r.level,
            r.logger,
            r.process,
            r.message,
            str(r.tenant_id or ""),
            r.request_id,
            str(r.dialog_id or ""),
        )
        for r in (await session.exec(stmt)).all()
    ]
