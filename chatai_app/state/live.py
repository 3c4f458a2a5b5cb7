"""Which process runs a page's live task.

A page's live task (it follows the event hub and pushes changes over the page's websocket) runs in the process
that holds the websocket. With state in Redis the page's flags outlive that process: when a web node dies
(`kill -9`, no `finally`) or the websocket moves to another node, the state still says "live" while no task
there serves it. So the flag names its owner: a task of this process, or one that no longer serves the page.
A reconnect (it reruns the page's on_load) or a heartbeat on another process claims the page anew; the old task,
if its process is alive, sees it was superseded and stops."""

from __future__ import annotations

import uuid

PROCESS_MARK = uuid.uuid4().hex  # one per process: a restarted node is a new owner


def claim() -> str:
    """A new owner mark for a live task started in this process."""
    return f"{PROCESS_MARK}:{uuid.uuid4().hex[:8]}"


def served_here(live: bool, owner: str) -> bool:
    """The page's live task runs in this process (so starting another would only duplicate it)."""
    return live and owner.startswith(f"{PROCESS_MARK}:")
