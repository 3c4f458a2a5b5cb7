"""One real `chatai run` (embedded PostgreSQL, built frontend) shared by every browser test."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from tests.fakes.openai_server import FakeOpenAIServer, running_fake_openai
from tests.fakes.telegram_server import FakeTelegram, running_fake_telegram

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("CHATAI_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
ADMIN_EMAIL, ADMIN_PASSWORD = "admin@example.com", "admin password 1"
START_TIMEOUT_S = 600


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class RunningApp:
    """A `chatai run` process the tests can restart on the same data directory."""

    data_dir: Path
    port: int
    log_path: Path
    extra_env: dict[str, str] = field(default_factory=dict)
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://localhost:{self.port}"

    def start(self) -> float:
        env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "CHATAI_PORT")}
        env.update(CHATAI_ADMIN_EMAIL=ADMIN_EMAIL, CHATAI_ADMIN_PASSWORD=ADMIN_PASSWORD, **self.extra_env)
        started = time.monotonic()
        log_offset = self.log_path.stat().st_size if self.log_path.exists() else 0
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "chatai_app.cli", "--data-dir", str(self.data_dir), "run", "--port", str(self.port)],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self._wait_until_served(log_offset)
        return time.monotonic() - started

    def _new_output(self, offset: int) -> str:
        with self.log_path.open("rb") as log:
            log.seek(offset)
            return log.read().decode(errors="replace")

    def _wait_until_served(self, log_offset: int) -> None:
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            assert self.process is not None and self.process.poll() is None, self._new_output(log_offset)[-4000:]
            if "ChatAI is running at" in self._new_output(log_offset):
                urllib.request.urlopen(f"{self.url}/login/", timeout=5).close()
                return
            time.sleep(0.5)
        raise TimeoutError(self._new_output(log_offset)[-4000:])

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(60)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            raise
        finally:
            self.log_path.open("a").write("\n--- stopped ---\n")


@pytest.fixture(scope="session")
def fake_llm() -> Iterator[FakeOpenAIServer]:
    with running_fake_openai(delay=0.05) as server:
        yield server


@pytest.fixture(scope="session")
def fake_telegram_for_app() -> Iterator[FakeTelegram]:
    with running_fake_telegram() as server:
        yield server


@pytest.fixture(scope="session")
def app_server(
    tmp_path_factory: pytest.TempPathFactory, fake_llm: FakeOpenAIServer, fake_telegram_for_app: FakeTelegram
) -> Iterator[RunningApp]:
    workdir = tmp_path_factory.mktemp("chatai-browser")
    external = {
        "OPENAI_BASE_URL": fake_llm.base_url,
        "OPENAI_API_KEY": "test",
        "TELEGRAM_API_URL": fake_telegram_for_app.base_url,
        "CHATAI_CRAWL_ALLOW_PRIVATE_HOSTS": "true",  # website import of a local test site (issue 15)
    }
    app = RunningApp(data_dir=workdir / "var", port=_free_port(), log_path=workdir / "chatai.log", extra_env=external)
    app.start()
    yield app
    app.stop()


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Browser, app_server: RunningApp) -> Iterator[Page]:
    context = browser.new_context(base_url=app_server.url)
    page = context.new_page()
    page.set_default_timeout(30_000)
    yield page
    context.close()
