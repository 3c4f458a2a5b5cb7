"""`chatai run`'s supervisor with cheap fake children: a dead child is restarted with backoff and a log line,
the others keep running, and the status file tells /readyz and /metrics about it."""

from __future__ import annotations

import json
import os
import signal
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from chatai_app import runner
from chatai_app.runner import Child, Supervisor
from chatai_app.supervision import STATUS_ENV, read_status, write_status

SLEEPER = [sys.executable, "-c", "import time; time.sleep(60)"]
CRASHER = [sys.executable, "-c", "raise SystemExit(3)"]


def _wait(predicate: object, timeout: float, supervisor: Supervisor) -> float:
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        supervisor.check()
        if predicate():  # type: ignore[operator]
            return time.monotonic() - started
        time.sleep(0.05)
    raise AssertionError("timed out")


@pytest.fixture
def supervised(tmp_path: Path) -> Iterator[Supervisor]:
    supervisor = Supervisor(
        [Child("web", SLEEPER), Child("worker", SLEEPER), Child("bot_fleet", SLEEPER)],
        status_file=tmp_path / "supervisor.json",
    )
    supervisor.start()
    yield supervisor
    supervisor.stop()


def test_a_killed_child_is_restarted_and_the_others_keep_running(
    supervised: Supervisor, capsys: pytest.CaptureFixture[str]
) -> None:
    fleet, web = supervised.child("bot_fleet"), supervised.child("web")
    old_pid, web_pid = fleet.process.pid, web.process.pid  # type: ignore[union-attr]
    os.kill(old_pid, signal.SIGKILL)
    took = _wait(lambda: fleet.state == "running" and fleet.process.pid != old_pid, 5, supervised)  # type: ignore[union-attr]
    assert took < 2.0
    assert fleet.restarts == 1 and fleet.last_exit == "killed by SIGKILL"
    assert web.process.pid == web_pid and web.exit_code() is None  # type: ignore[union-attr]
    log = capsys.readouterr().err
    assert f"bot_fleet (pid {old_pid}) exited: killed by SIGKILL" in log and "restarting it in 0.5 s" in log
    assert "bot_fleet restarted" in log

    status = read_status(supervised.status_file)
    assert status is not None and not status["stale"]
    assert status["processes"]["bot_fleet"]["restarts"] == 1
    assert status["processes"]["bot_fleet"]["pid"] == fleet.process.pid  # type: ignore[union-attr]
    assert {info["state"] for info in status["processes"].values()} == {"running"}


def test_a_crashing_child_backs_off_and_is_never_given_up(tmp_path: Path) -> None:
    supervisor = Supervisor([Child("worker", CRASHER), Child("web", SLEEPER)], status_file=tmp_path / "s.json")
    supervisor.start()
    worker = supervisor.child("worker")
    delays = []
    try:
        for restarts in range(1, 4):
            _wait(lambda n=restarts: worker.restart_at is not None and worker.restarts == n - 1, 10, supervisor)
            delays.append(round(worker.restart_at - time.monotonic(), 1))  # type: ignore[operator]
            _wait(lambda n=restarts: worker.restarts == n, 10, supervisor)
        assert delays[0] <= 0.5 and 0.6 < delays[1] <= 1.0 and 1.5 < delays[2] <= 2.0  # 0.5, 1, 2, ... 30 s
        assert supervisor.child("web").exit_code() is None
        assert worker.last_exit == "exit code 3"
    finally:
        supervisor.stop()
    assert not (tmp_path / "s.json").exists()  # stopped: nothing claims to be running


def test_children_get_the_status_file_and_are_stopped_in_reverse_order(supervised: Supervisor) -> None:
    assert all(child.env and child.env[STATUS_ENV] == str(supervised.status_file) for child in supervised.children)
    supervised.stop()
    assert all(child.exit_code() is not None for child in supervised.children)


def test_a_stale_status_file_means_the_supervisor_is_gone(tmp_path: Path) -> None:
    path = tmp_path / "supervisor.json"
    write_status(path, {"supervisor": {"updated_at": time.time() - 60}, "processes": {}})
    assert read_status(path)["stale"] is True  # type: ignore[index]


async def test_readyz_and_metrics_show_the_processes(
    clean_db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from chatai_app.api.app import build_server

    path = tmp_path / "supervisor.json"
    now = time.time()
    running = {"state": "running", "pid": 1, "restarts": 0}
    status = {
        "supervisor": {"pid": 1, "started_at": now, "updated_at": now},
        "database": {"mode": "embedded", "state": "up", "restarts": 1, "detail": ""},
        "processes": {"web": running, "worker": {**running, "restarts": 2},
                      "bot_fleet": {"state": "restarting", "pid": None, "restarts": 3}},
    }  # fmt: skip
    write_status(path, status)
    monkeypatch.setenv(STATUS_ENV, str(path))
    transport = httpx.ASGITransport(app=build_server(), client=("10.0.0.1", 5000))
    async with httpx.AsyncClient(transport=transport, base_url="http://chatai.test") as api:
        ready = await api.get("/readyz")
        assert ready.status_code == 200  # a restarting fleet does not take the web app out of rotation
        body = ready.json()
        assert body["status"] == "degraded" and body["checks"]["processes"] == "bot_fleet restarting"
        assert body["processes"]["worker"]["restarts"] == 2
        metrics = (await api.get("/metrics")).text
        assert 'chatai_process_restarts_total{process="bot_fleet"} 3.0' in metrics
        assert 'chatai_process_up{process="bot_fleet"} 0.0' in metrics
        assert 'chatai_process_up{process="web"} 1.0' in metrics
        assert "chatai_database_restarts_total 1.0" in metrics

        status["processes"]["bot_fleet"] = {**running, "restarts": 3}  # type: ignore[index]
        write_status(path, status)
        body = (await api.get("/readyz")).json()
        assert body["status"] == "ready" and body["checks"]["processes"] == "ok"
        assert json.loads(path.read_text())["database"]["restarts"] == 1


def test_exit_descriptions() -> None:
    assert runner.describe_exit(-9) == "killed by SIGKILL"
    assert runner.describe_exit(1) == "exit code 1"


def test_console_handlers_answer_a_lost_database_with_one_line_per_kind(caplog: pytest.LogCaptureFixture) -> None:
    import psycopg
    from sqlalchemy import exc as sa_exc

    from chatai_app.chatai_app import _backend_error

    lost = sa_exc.OperationalError("SELECT 1", {}, psycopg.OperationalError("connection refused"))
    with caplog.at_level("INFO"):
        toasts = [_backend_error(lost) for _ in range(20)]
    assert len([r for r in caplog.records if r.levelname == "ERROR"]) <= 1
    assert all(r.exc_info is None for r in caplog.records)
    assert "briefly unavailable" in str(toasts[-1])


def test_an_external_database_is_reported_gone_and_back_never_restarted(
    clean_db: str, capsys: pytest.CaptureFixture[str]
) -> None:
    watch = runner.ExternalDatabase("postgresql://chatai@127.0.0.1:1/chatai")
    assert watch.check() and watch.state == "down"
    watch.next_check = 0
    assert not watch.check()  # still down: nothing new, and no second line within the reminder interval
    log = capsys.readouterr().err
    assert log.count("is unreachable") == 1 and "not restarted here" in log and "127.0.0.1:1/chatai" in log
    watch.url, watch.next_check = clean_db, 0
    assert watch.check() and watch.state == "up" and watch.restarts == 0
    assert "reachable again" in capsys.readouterr().err
