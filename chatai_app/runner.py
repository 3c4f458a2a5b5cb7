"""`chatai run`: embedded database, migrations, first admin, web app and bot fleet as one unit."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from chatai_app.migrations import ROOT, upgrade_to_head
from chatai_app.settings import get_settings

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)
READY_TIMEOUT_S = 600


@dataclass
class Child:
    name: str
    process: subprocess.Popen[bytes]

    def stop(self, timeout_s: float = 20) -> None:
        """Ask the child's whole process group to stop; kill it if it does not."""
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGKILL):
            if self.process.poll() is not None:
                return
            try:
                os.killpg(self.process.pid, sig)
            except ProcessLookupError:
                return
            try:
                self.process.wait(timeout_s if sig != signal.SIGKILL else 5)
            except subprocess.TimeoutExpired:
                continue


def _spawn(name: str, args: list[str], env: dict[str, str]) -> Child:
    # A session of its own: Ctrl-C reaches only us, and we stop children in order.
    return Child(name, subprocess.Popen(args, cwd=ROOT, env=env, start_new_session=True))


async def _bootstrap_admin() -> None:
    from chatai_app.cli import generated_password
    from chatai_app.db import dispose_engines, session_scope
    from chatai_app.services.accounts import admin_exists, create_admin

    try:
        async with session_scope() as session:
            if await admin_exists(session=session):
                return
            email = os.environ.get("CHATAI_ADMIN_EMAIL", "admin@chatai.local")
            password = os.environ.get("CHATAI_ADMIN_PASSWORD") or generated_password()
            await create_admin(session=session, email=email, password=password)
        shown = password if "CHATAI_ADMIN_PASSWORD" not in os.environ else "(from CHATAI_ADMIN_PASSWORD)"
        print(f"First admin created: {email}  password: {shown}  (shown once; change it under Profile)")
    finally:
        await dispose_engines()


def _wait_until_served(url: str, children: list[Child]) -> bool:
    deadline = time.monotonic() + READY_TIMEOUT_S
    while time.monotonic() < deadline:
        if any(child.process.poll() is not None for child in children):
            return False
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return True
        except OSError:
            pass
        time.sleep(0.5)
    return False


def _child_env(database_url: str, port: int) -> dict[str, str]:
    from chatai_app.toolchain import apply_frontend_env, ensure_bun

    ensure_bun()
    env = dict(os.environ, DATABASE_URL=database_url, CHATAI_PORT=str(port), PYTHONUNBUFFERED="1")
    apply_frontend_env(env)
    return env


def _start_children(env: dict[str, str], port: int) -> list[Child]:
    reflex = str(Path(sys.executable).parent / "reflex")
    web_args = [
        reflex,
        "run",
        "--env",
        "prod",
        "--single-port",
        "--frontend-port",
        str(port),
        "--backend-port",
        str(port),
    ]
    return [
        _spawn("web", web_args, env),
        _spawn("worker", [sys.executable, "-m", "chatai_app.worker"], env),
        _spawn("bot_fleet", [sys.executable, "-m", "bot_fleet"], env),
    ]


def _supervise(children: list[Child]) -> int:
    """Block until a stop signal or until a child dies; then stop everything."""
    stopping: list[int] = []
    previous = {sig: signal.signal(sig, lambda signum, _frame: stopping.append(signum)) for sig in STOP_SIGNALS}
    try:
        while not stopping:
            if dead := [c for c in children if c.process.poll() is not None]:
                print(f"{dead[0].name} exited with code {dead[0].process.returncode}; stopping", file=sys.stderr)
                return 1
            time.sleep(0.3)
        print("stopping ChatAI ...")
        return 0
    finally:
        for child in reversed(children):
            child.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _say_where_the_secret_comes_from() -> None:
    settings = get_settings()
    assert settings.secret_key  # made now, before the children start
    if "SECRET_KEY" not in os.environ:
        print(f"Signing key: {settings.data_dir / 'secret_key'} (generated once; set SECRET_KEY to manage it)")


def run_everything(*, data_dir: Path, port: int) -> int:
    started = time.monotonic()
    os.environ["CHATAI_PORT"] = str(port)
    # Children run from the project root: give them the absolute data dir, where the secret key lives.
    os.environ["CHATAI_DATA_DIR"] = str(data_dir.resolve())
    get_settings.cache_clear()
    _say_where_the_secret_comes_from()
    from chatai_app.cli import _database_url

    database_url = _database_url(data_dir)
    upgrade_to_head(database_url)
    asyncio.run(_bootstrap_admin())
    children = _start_children(_child_env(database_url, port), port)
    base_url = get_settings().base_url
    if not _wait_until_served(f"http://127.0.0.1:{port}/login/", children):
        print("ChatAI did not come up; see the output above", file=sys.stderr)
        for child in reversed(children):
            child.stop()
        return 1
    print(f"\nChatAI is running at {base_url}  (ready in {time.monotonic() - started:.1f} s; Ctrl-C stops it)\n")
    return _supervise(children)
