"""Granian settings Reflex does not pass on to the web workers' supervisor.

Reflex 0.10 builds granian's `Server` itself (`reflex.utils.exec.run_granian_backend_prod`) and reads only
GRANIAN_WORKERS and GRANIAN_LOG_LEVEL from the environment; granian's other GRANIAN_* variables are read by
granian's own command line, which Reflex does not use. So with several workers (GRANIAN_WORKERS, or CPU x 2 + 1
with REDIS_URL), one worker killed (OOM killer, kill -9) made granian stop every worker and exit: the whole
platform was down. `apply_granian_env()` (called from rxconfig.py, which Reflex loads before it starts granian)
makes the server honour GRANIAN_RESPAWN_FAILED_WORKERS (a dead worker is started again; `chatai run` sets it)
and GRANIAN_RESPAWN_INTERVAL. Granian still exits on a crash loop (a worker dying within 5.5 s of its restart).
"""

from __future__ import annotations

import functools
import os
from typing import Any

TRUE = ("1", "true", "yes", "on")


def apply_granian_env() -> bool:
    """Default granian's respawn options from the environment; True when the server class was patched."""
    flag = os.environ.get("GRANIAN_RESPAWN_FAILED_WORKERS")
    interval = os.environ.get("GRANIAN_RESPAWN_INTERVAL")
    if flag is None and interval is None:
        return False
    try:
        from granian.server.common import AbstractServer
    except ImportError:  # uvicorn serves instead (REFLEX_USE_GRANIAN=false): nothing to do
        return False
    original = AbstractServer.__init__
    if getattr(original, "_chatai_env", False):
        return True

    @functools.wraps(original)
    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        if flag is not None:
            kwargs.setdefault("respawn_failed_workers", flag.strip().lower() in TRUE)
        if interval is not None:
            kwargs.setdefault("respawn_interval", float(interval))
        original(self, *args, **kwargs)

    __init__._chatai_env = True  # type: ignore[attr-defined]
    AbstractServer.__init__ = __init__  # type: ignore[method-assign]
    return True
