"""Web workers (issue 19, item 5): with several granian workers, kill -9 of one must not stop the platform.

Reflex 0.10 starts granian through its own `run_granian_backend_prod`; this runs exactly that function (after
loading rxconfig.py as `reflex run` does) on a tiny ASGI app with GRANIAN_WORKERS=2, kills one worker and
watches: with GRANIAN_RESPAWN_FAILED_WORKERS=true (what `chatai run` sets) a new worker takes its place and the
server keeps answering; without it granian shuts everything down, which is what the issue saw.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import psutil
import pytest

from tests.browser.conftest import _free_port

ROOT = Path(__file__).resolve().parents[1]
SERVE = """
import sys
from reflex import constants
from reflex.config import get_config
from reflex.utils.exec import run_granian_backend_prod

get_config()  # loads rxconfig.py, as `reflex run` does before it starts granian
run_granian_backend_prod("127.0.0.1", int(sys.argv[1]), constants.LogLevel.ERROR,
                         app_target="tests.test_web_workers:app")
"""


def app() -> Any:
    """The granian target (a factory, as Reflex's): answers with the worker's pid."""

    async def asgi(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while (await receive())["type"] != "lifespan.shutdown":
                await send({"type": "lifespan.startup.complete"})
            await send({"type": "lifespan.shutdown.complete"})
            return
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
        await send({"type": "http.response.body", "body": str(os.getpid()).encode()})

    return asgi


def _workers(server: subprocess.Popen[bytes]) -> set[int]:
    try:
        return {child.pid for child in psutil.Process(server.pid).children() if child.status() != "zombie"}
    except psutil.NoSuchProcess:
        return set()


def _wait(predicate: Any, within_s: float) -> bool:
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


def _answers(port: int) -> bool:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def _both_serve(server: subprocess.Popen[bytes], port: int) -> bool:
    """Both workers are up and have answered a request (so the kill lands on a serving worker)."""
    seen = set()
    for _ in range(40):
        try:
            seen.add(int(httpx.get(f"http://127.0.0.1:{port}/", timeout=2).text))
        except (httpx.HTTPError, ValueError):
            return False
    return seen == _workers(server) and len(seen) == 2


@pytest.mark.parametrize("respawn", [True, False])
def test_a_killed_web_worker_is_replaced(respawn: bool, tmp_path: Path) -> None:
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("GRANIAN_")}
    env |= {"GRANIAN_WORKERS": "2", "REFLEX_USE_GRANIAN": "true", "CHATAI_DATA_DIR": str(tmp_path)}
    if respawn:
        env["GRANIAN_RESPAWN_FAILED_WORKERS"] = "true"
    log = (tmp_path / "granian.log").open("wb")
    server = subprocess.Popen([sys.executable, "-c", SERVE, str(port)], cwd=ROOT, env=env, stdout=log,
                              stderr=subprocess.STDOUT, start_new_session=True)  # fmt: skip
    try:
        assert _wait(lambda: _both_serve(server, port), 60), (tmp_path / "granian.log").read_text()
        first = _workers(server)
        os.kill(sorted(first)[0], signal.SIGKILL)
        if respawn:
            replaced = _wait(lambda: len(_workers(server)) == 2 and _workers(server) != first, 20)
            assert replaced, (tmp_path / "granian.log").read_text()
            assert server.poll() is None and _wait(lambda: _answers(port), 10)
        else:
            assert _wait(lambda: server.poll() is not None, 30)  # the old behaviour: everything stops
    finally:
        if server.poll() is None:
            server.send_signal(signal.SIGTERM)
            try:
                server.wait(20)
            except subprocess.TimeoutExpired:
                server.kill()
        # Granian leaves a worker running when it exits on a dead one, or after SIGTERM when it had respawned
        # one: the whole group goes, as `chatai run` stops its web server (runner.py, killpg).
        with contextlib.suppress(ProcessLookupError):
            os.killpg(server.pid, signal.SIGKILL)
        log.close()
