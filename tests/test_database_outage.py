"""PostgreSQL killed (SIGKILL of its postmaster) under load: the API answers 503 + Retry-After (not 500s), logs one
line per kind (not a traceback per request), the worker and bot fleet processes stay up with one line per kind too,
and everything recovers once the supervisor's watch has started the database again; a message sent to the bot
during the outage is answered once."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import psycopg
import pytest

from chatai_app.embedded_pg import postmaster_pid, restart_embedded_postgres
from chatai_app.runner import EmbeddedDatabase
from chatai_app.services import telegram
from tests.fakes.telegram_server import running_fake_telegram
from tests.knowledge.conftest import make_workspace
from tests.test_api import SIGNUP, _client

ROOT = Path(__file__).resolve().parents[1]


def _data_dir(url: str) -> Path:
    with psycopg.connect(url) as conn:
        return Path(conn.execute("SHOW data_directory").fetchone()[0]).parent


def _spawn(module: str, env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", module], cwd=ROOT, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT,
        start_new_session=True,
    )  # fmt: skip


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)


async def _until(predicate: object, within_s: float, what: str) -> float:
    started = time.monotonic()
    while time.monotonic() - started < within_s:
        if predicate():  # type: ignore[operator]
            return time.monotonic() - started
        await asyncio.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def _count(url: str, sql: str) -> int:
    try:
        with psycopg.connect(url, connect_timeout=2) as conn:
            return conn.execute(sql).fetchone()[0]
    except psycopg.Error:
        return -1


async def test_postgres_killed_clear_503s_processes_survive_and_recover(
    clean_db: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    data_dir = _data_dir(clean_db)
    shop = await make_workspace("shop@example.com")
    with running_fake_telegram() as fake:
        token = fake.add_bot(910001, "outage_bot")
        os.environ["TELEGRAM_API_URL"] = fake.base_url
        from chatai_app.settings import get_settings

        get_settings.cache_clear()
        try:
            await telegram.connect_bot(tenant_id=shop.tenant_id, assistant_id=shop.assistant_id, token=token)
        finally:
            del os.environ["TELEGRAM_API_URL"]
            get_settings.cache_clear()
        env = dict(os.environ, DATABASE_URL=clean_db, TELEGRAM_API_URL=fake.base_url, PYTHONUNBUFFERED="1")
        worker = _spawn("chatai_app.worker", env, tmp_path / "worker.log")
        fleet = _spawn("bot_fleet", env, tmp_path / "fleet.log")
        try:
            await _until(lambda: _count(clean_db, "SELECT count(*) FROM procrastinate_workers") > 0, 30, "the worker")
            fake.push_text(token, 501, "/start")
            await _until(lambda: fake.sent_texts(token, 501), 30, "the fleet's first answer")

            async with _client() as api:
                tokens = (await api.post("/api/v1/auth/signup", json=SIGNUP)).json()
                headers = {"Authorization": f"Bearer {tokens['access_token']}"}
                assert (await api.get("/api/v1/billing", headers=headers)).status_code == 200

                os.kill(postmaster_pid(data_dir), signal.SIGKILL)  # type: ignore[arg-type]
                killed_at = time.monotonic()
                await _until(lambda: postmaster_pid(data_dir) is None, 5, "the postmaster to die")
                fake.push_text(token, 502, "/start")  # arrives while the database is gone

                caplog.clear()
                with caplog.at_level(logging.INFO):
                    answers = []
                    for _ in range(3):
                        for path in ("/api/v1/billing", "/api/v1/dialogs", "/api/v1/auth/me"):
                            answers.append(await api.get(path, headers=headers))
                        answers.append(await api.post("/api/v1/auth/login", json=SIGNUP))
                    ready = await api.get("/readyz")
                statuses = {response.status_code for response in answers}
                assert statuses == {503}, [(r.status_code, r.text[:200]) for r in answers]
                assert all(r.headers.get("Retry-After") == "5" and r.json()["error"] == "unavailable" for r in answers)
                assert ready.status_code == 503 and ready.json()["checks"]["database"].startswith("unreachable")
                errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
                assert len(errors) <= 2, [r.getMessage() for r in errors]  # one line per kind, not per request
                assert all(r.exc_info is None for r in errors) and "database_down" in errors[0].getMessage()

                await asyncio.sleep(3)  # the worker and the fleet meet the outage too
                assert worker.poll() is None and fleet.poll() is None

                watch = EmbeddedDatabase(data_dir)  # what `chatai run` does: notice, then start it again
                watch.pid = 0
                assert watch.check() and watch.state == "up" and watch.restarts == 1
                down_s = time.monotonic() - killed_at
                recovered_s = await _until_ok(api, headers)
                assert (await api.get("/readyz")).status_code == 200

            await _until(lambda: fake.sent_texts(token, 502), 30, "the answer to the message sent during the outage")
            await asyncio.sleep(2)
            assert len(fake.sent_texts(token, 502)) == 1 and len(fake.sent_texts(token, 501)) == 1
            alive = "SELECT count(*) FROM procrastinate_workers WHERE last_heartbeat > now() - '5 s'::interval"
            await _until(lambda: _count(clean_db, alive) > 0, 30, "the worker working again")
            assert worker.poll() is None and fleet.poll() is None
        finally:
            _stop(worker)
            _stop(fleet)
            if postmaster_pid(data_dir) is None:
                restart_embedded_postgres(data_dir)
    for name in ("worker.log", "fleet.log"):
        text = (tmp_path / name).read_text()
        assert "Traceback" not in text, text[-3000:]
        assert text.count("\n") < 60, text  # a handful of lines, not a traceback per try
        print(f"--- {name}\n{text}")
    print(f"\ndatabase down {down_s:.1f} s; API answering again {recovered_s:.1f} s after the restart")


async def _until_ok(api: httpx.AsyncClient, headers: dict[str, str]) -> float:
    started = time.monotonic()
    while time.monotonic() - started < 15:
        if (await api.get("/api/v1/billing", headers=headers)).status_code == 200:
            return time.monotonic() - started
        await asyncio.sleep(0.1)
    raise AssertionError("the API did not recover")
