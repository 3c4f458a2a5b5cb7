"""kill -9 of the bot fleet and the job worker under a real `chatai run`: the supervisor restarts them, /readyz and
/metrics show it, Telegram messages sent meanwhile are answered exactly once, and the worker works again.

Marked `browser` because it shares that suite's one real `chatai run` (built frontend); it needs no browser."""

from __future__ import annotations

import os
import signal
import time
import uuid

import httpx
import psutil
import pytest

from tests.browser.conftest import RunningApp
from tests.fakes.telegram_server import FakeTelegram

pytestmark = pytest.mark.browser

CHILD_MARKERS = {"bot_fleet": "bot_fleet", "worker": "chatai_app.worker"}


def _child_pids(app: RunningApp) -> dict[str, int]:
    """The supervisor's children, found through the process tree."""
    assert app.process is not None
    found = {}
    for child in psutil.Process(app.process.pid).children():
        cmdline = " ".join(child.cmdline())
        for name, marker in CHILD_MARKERS.items():
            if f"-m {marker}" in cmdline:
                found[name] = child.pid
    return found


def _wait(predicate: object, timeout: float, what: str) -> float:
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if predicate():  # type: ignore[operator]
            return time.monotonic() - started
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def test_killed_fleet_and_worker_are_restarted_and_nothing_is_lost(
    app_server: RunningApp, fake_telegram_for_app: FakeTelegram
) -> None:
    fake = fake_telegram_for_app
    with httpx.Client(base_url=app_server.url, timeout=30) as http:
        email = f"crash-{uuid.uuid4().hex[:8]}@example.com"
        signup = {"email": email, "password": "crash password 1", "full_name": "Crash", "workspace_name": "Crash"}
        tokens = http.post("/api/v1/auth/signup", json=signup)
        assert tokens.status_code == 201, tokens.text
        http.headers["Authorization"] = f"Bearer {tokens.json()['access_token']}"
        assistant = http.post("/api/v1/assistants", json={"name": "Crash test"}).json()
        token = fake.add_bot(800777, "crash_test_bot")
        bot = http.post("/api/v1/bots", json={"assistant_id": assistant["id"], "token": token})
        assert bot.status_code == 201, bot.text
        for chat in (7001, 7002, 7003):
            fake.push_text(token, chat, "/start")
        fake.wait_for(lambda: all(fake.sent_texts(token, chat) for chat in (7001, 7002, 7003)), timeout=15)

        before = http.get("/readyz").json()
        assert before["status"] == "ready", before
        restarts = {name: before["processes"][name]["restarts"] for name in CHILD_MARKERS}
        pids = _child_pids(app_server)
        assert set(pids) == set(CHILD_MARKERS), pids

        for pid in pids.values():
            os.kill(pid, signal.SIGKILL)
        killed = time.monotonic()
        chats = range(7101, 7106)
        for chat in chats:  # written while the fleet is dead
            fake.push_text(token, chat, "/start")

        def back() -> bool:
            body = http.get("/readyz").json()
            processes = body.get("processes", {})
            return all(
                processes.get(name, {}).get("state") == "running"
                and processes[name]["restarts"] == restarts[name] + 1
                and processes[name]["pid"] not in (None, pids[name])
                for name in CHILD_MARKERS
            )

        restart_s = _wait(back, 30, "/readyz to show the fleet and the worker running again")
        assert http.get("/readyz").json()["status"] == "ready"
        answered_s = _wait(lambda: all(fake.sent_texts(token, chat) for chat in chats), 30, "the answers")
        answered_s += restart_s
        metrics = http.get("/metrics").text
        assert f'chatai_process_restarts_total{{process="bot_fleet"}} {restarts["bot_fleet"] + 1}.0' in metrics
        assert 'chatai_process_up{process="worker"} 1.0' in metrics

        faq = b"Delivery takes two days.\n\nReturns are free within 30 days.\n"
        document = http.post(
            f"/api/v1/assistants/{assistant['id']}/documents", files={"file": ("faq.txt", faq, "text/plain")}
        )
        assert document.status_code == 201, document.text

        def indexed() -> bool:
            listed = http.get(f"/api/v1/assistants/{assistant['id']}/documents").json()
            return bool(listed) and listed[0]["status"] == "ready"

        indexed_s = _wait(indexed, 30, "the restarted worker to index a document")
        time.sleep(1.0)
        replies = {chat: len(fake.sent_texts(token, chat)) for chat in (7001, 7002, 7003, *chats)}
        lost = sum(1 for count in replies.values() if count == 0)
        duplicated = sum(count - 1 for count in replies.values() if count > 1)
        print(
            f"\nkill -9 of bot_fleet + worker: both running again (per /readyz) {restart_s:.1f} s after the kill; "
            f"messages sent meanwhile answered {answered_s:.1f} s after it; a new document indexed "
            f"{indexed_s:.1f} s later; {len(replies)} messages: lost {lost}, duplicated {duplicated}"
        )
        assert lost == 0 and duplicated == 0, replies
        assert time.monotonic() - killed < 60


def test_killed_postgres_gives_clear_503s_and_everything_recovers(
    app_server: RunningApp, fake_telegram_for_app: FakeTelegram
) -> None:
    from chatai_app.embedded_pg import postmaster_pid

    fake = fake_telegram_for_app
    log_offset = app_server.log_path.stat().st_size
    with httpx.Client(base_url=app_server.url, timeout=30) as http:
        signup = {"email": f"pg-{uuid.uuid4().hex[:8]}@example.com", "password": "pg password 1"}
        tokens = http.post("/api/v1/auth/signup", json={**signup, "full_name": "Pg", "workspace_name": "Pg"})
        assert tokens.status_code == 201, tokens.text
        http.headers["Authorization"] = f"Bearer {tokens.json()['access_token']}"
        assistant = http.post("/api/v1/assistants", json={"name": "Outage test"}).json()
        token = fake.add_bot(800778, "outage_test_bot")
        assert http.post("/api/v1/bots", json={"assistant_id": assistant["id"], "token": token}).status_code == 201
        fake.push_text(token, 7201, "/start")
        fake.wait_for(lambda: fake.sent_texts(token, 7201), timeout=15)
        restarts = http.get("/readyz").json()["database"]["restarts"]

        pid = postmaster_pid(app_server.data_dir)
        assert pid is not None
        os.kill(pid, signal.SIGKILL)
        killed = time.monotonic()
        fake.push_text(token, 7202, "/start")  # while the database is gone
        answers = []
        while time.monotonic() - killed < 30:
            answer = http.get("/api/v1/billing")
            answers.append(answer)
            if answer.status_code == 200 and len(answers) > 1:
                break
            time.sleep(0.05)
        down_s = time.monotonic() - killed
        statuses = [a.status_code for a in answers]
        assert statuses[-1] == 200 and 503 in statuses and set(statuses) <= {200, 503}, statuses
        assert all(a.headers.get("Retry-After") == "5" for a in answers if a.status_code == 503)

        fake.wait_for(lambda: fake.sent_texts(token, 7202), timeout=30)
        answered_s = time.monotonic() - killed
        ready = http.get("/readyz").json()
        assert ready["status"] == "ready" and ready["database"]["restarts"] == restarts + 1, ready
        assert f"chatai_database_restarts_total {restarts + 1}.0" in http.get("/metrics").text
        time.sleep(1.0)
        assert len(fake.sent_texts(token, 7202)) == 1 and len(fake.sent_texts(token, 7201)) == 1

    with app_server.log_path.open("rb") as log:
        log.seek(log_offset)
        written = log.read().decode(errors="replace")
    print(
        f"\nPostgreSQL killed: {statuses.count(503)} answers 503 + Retry-After, none 500; API back {down_s:.1f} s "
        f"after the kill; a message sent meanwhile answered {answered_s:.1f} s after it; the log grew by "
        f"{len(written)} bytes, {written.count(chr(10))} lines:\n{written}"
    )
    assert "Traceback" not in written
    assert "PostgreSQL (embedded) is down" in written and "PostgreSQL (embedded) is back" in written
    assert written.count("\n") < 40
