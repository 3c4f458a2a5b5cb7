"""The JSON/SSE API served by a real ASGI server (granian, as in production) for streaming tests."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator

import pytest

from tests.browser.conftest import _free_port


@pytest.fixture(scope="module")
def api_server(database_url: str) -> Iterator[str]:
    port = _free_port()
    env = {**os.environ, "DATABASE_URL": database_url}
    process = subprocess.Popen(
        [sys.executable, "-m", "granian", "--interface", "asgi", "--factory", "chatai_app.api.app:build_server",
         "--host", "127.0.0.1", "--port", str(port), "--workers", "1", "--no-ws", "--log-level", "warning"],
        env=env,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            urllib.request.urlopen(f"{url}/healthz", timeout=2).close()
            break
        except OSError:
            assert process.poll() is None and time.monotonic() < deadline, "the API server did not start"
            time.sleep(0.2)
    yield url
    process.terminate()
    process.wait(20)
