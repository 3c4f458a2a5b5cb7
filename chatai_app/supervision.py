"""The supervisor's status file: how `chatai run` tells the web app about its processes and the database.

The supervisor (`runner.py`) is a different process from the web app that serves `/readyz` and `/metrics`,
so it writes one small JSON document (atomically: a temporary file renamed into place) whenever something
changes and at least every `HEARTBEAT_S`; its path reaches the children in `CHATAI_SUPERVISOR_STATUS`.
A reader that finds no variable is not under a supervisor (`reflex run` by hand, tests) and reports nothing;
a file older than `STALE_AFTER_S` means the supervisor itself is gone.

    {"supervisor": {"pid", "started_at", "updated_at"},
     "database": {"mode": "embedded"|"external", "state": "up"|"down"|"restarting", "restarts", "detail"},
     "processes": {"web": {"state": "running"|"restarting", "pid", "restarts", "started_at",
                           "last_exit", "last_exit_at", "restart_in_s"}, ...}}
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

STATUS_ENV = "CHATAI_SUPERVISOR_STATUS"
STATUS_FILE = "supervisor.json"
HEARTBEAT_S = 2.0
STALE_AFTER_S = 15.0


def status_path() -> Path | None:
    value = os.environ.get(STATUS_ENV)
    return Path(value) if value else None


def write_status(path: Path, status: dict[str, Any]) -> None:
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.write_text(json.dumps(status, indent=1, default=str))
    os.replace(temporary, path)


def read_status(path: Path | None = None) -> dict[str, Any] | None:
    """The supervisor's last report, with `stale` set when it stopped reporting; None when not supervised."""
    path = path or status_path()
    if path is None:
        return None
    try:
        status = json.loads(path.read_text())
    except (OSError, ValueError):
        return {"stale": True, "processes": {}, "database": {}, "supervisor": {}}
    updated = float(status.get("supervisor", {}).get("updated_at", 0))
    status["stale"] = time.time() - updated > STALE_AFTER_S
    return status


def process_summary(status: dict[str, Any]) -> str:
    """'ok', or what is wrong in a few words (for /readyz)."""
    if status.get("stale"):
        return "supervisor not reporting"
    down = [f"{name} {info.get('state', '?')}" for name, info in sorted(status.get("processes", {}).items())
            if info.get("state") != "running"]  # fmt: skip
    return "ok" if not down else "; ".join(down)
