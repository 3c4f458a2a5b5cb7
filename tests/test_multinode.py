"""Several nodes on one PostgreSQL and one Redis (issue 17), as processes on this machine: two API nodes
(granian serving `build_server`, as `chatai run --role web` does), two bot fleets, two job workers.

- a visitor's event stream on node A receives an operator's reply sent through node B (Redis pub/sub);
- `kill -9` of node A loses no message it already answered, and the visitor carries on through node B;
- two fleets split the bots (fair share, Redis leases and fleet heartbeats); `kill -9` of one moves its bots
  to the other within 10 s and every message is answered exactly once; the leases on both backends (Redis,
  PostgreSQL advisory locks) count the live fleets and free a dead fleet's bots;
- a worker killed while ingesting: the other worker finishes the document.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import psycopg
import pytest

from bot_fleet.fleet import Fleet
from chatai_app.db import dispose_engines, session_scope
from chatai_app.services import accounts, inbox, plans, telegram
from chatai_app.services.knowledge import documents
from chatai_app.services.leases import PostgresLeases, RedisLeases
from chatai_app.settings import get_settings
from tests.browser.conftest import _free_port
from tests.engine.test_conversation import _with_knowledge
from tests.fakes.telegram_server import FakeTelegram
from tests.knowledge.conftest import Workspace
from tests.telegram.conftest import fake_telegram, wait_until, wait_until_settled  # noqa: F401

ROOT = Path(__file__).resolve().parents[1]
REDIS_URL = os.environ.get("CHATAI_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


@pytest.fixture
def on_redis() -> Iterator[str]:
    """This test's deployment: Redis for events, leases and rate limits, its own event namespace."""
    namespace = f"multinode-{uuid.uuid4().hex[:8]}"
    os.environ.update(REDIS_URL=REDIS_URL, CHATAI_EVENT_NAMESPACE=namespace)
    get_settings.cache_clear()
    yield namespace
    for key in ("REDIS_URL", "CHATAI_EVENT_NAMESPACE"):
        os.environ.pop(key, None)
    get_settings.cache_clear()


def _spawn(args: list[str], log: Path) -> subprocess.Popen[bytes]:
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    return subprocess.Popen(args, cwd=ROOT, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT)


def _api_node(port: int, log: Path) -> subprocess.Popen[bytes]:
    process = _spawn([sys.executable, "-m", "granian", "--interface", "asgi", "--factory",
                      "chatai_app.api.app:build_server", "--host", "127.0.0.1", "--port", str(port),
                      "--workers", "1", "--no-ws", "--log-level", "warning"], log)  # fmt: skip
    deadline = time.monotonic() + 60
    while True:
        try:
            httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).raise_for_status()
            return process
        except httpx.HTTPError:
            assert process.poll() is None and time.monotonic() < deadline, log.read_text(errors="replace")
            time.sleep(0.2)


@pytest.fixture
def two_api_nodes(on_redis: str, clean_db: str, tmp_path: Path) -> Iterator[list[str]]:
    ports = [_free_port(), _free_port()]
    nodes = [_api_node(port, tmp_path / f"web-{i}.log") for i, port in enumerate(ports)]
    yield [f"http://127.0.0.1:{port}" for port in ports]
    for node in nodes:
        if node.poll() is None:
            node.terminate()
            node.wait(20)


async def _events(client: httpx.AsyncClient, url: str, seen: list[tuple[str, dict]]) -> None:
    async with client.stream("GET", url) as response:
        name = ""
        async for line in response.aiter_lines():
            if line.startswith("event: "):
                name = line[7:]
            elif line.startswith("data: "):
                seen.append((name, json.loads(line[6:])))


async def test_web_nodes_share_live_events_and_a_killed_node_loses_nothing(
    shop: Workspace,
    two_api_nodes: list[str],
) -> None:
    node_a, node_b = two_api_nodes
    await _with_knowledge(shop)
    api = f"/api/widget/v1/{shop.assistant_id}/"
    async with httpx.AsyncClient(timeout=30) as client:
        token = (await client.post(node_a + api + "visitor")).json()["token"]
        headers = {"X-Visitor-Token": token}
        first = await client.post(node_a + api + "messages", json={"text": "How much is courier delivery?"},
                                  headers=headers)  # fmt: skip
        assert first.status_code == 200 and '"outcome": "answered"' in first.text
        dialog_id = (await client.get(node_a + api + "messages", headers=headers)).json()["dialog_id"]

        seen: list[tuple[str, dict]] = []
        stream = asyncio.create_task(_events(client, f"{node_a}{api}events?token={token}", seen))
        await wait_until(lambda: any(name == "state" for name, _ in seen), within_s=15)
        async with session_scope() as session:
            operator = await accounts.add_operator(session=session, tenant_id=shop.tenant_id,
                                                   email="anna@example.com", password="operator pass 1")  # fmt: skip
        await inbox.take_dialog(tenant_id=shop.tenant_id, operator_id=operator, dialog_id=dialog_id)
        login = await client.post(node_b + "/api/v1/auth/login",
                                  json={"email": "anna@example.com", "password": "operator pass 1"})  # fmt: skip
        auth = {"Authorization": f"Bearer {login.json()['access_token']}"}
        sent_at = time.monotonic()
        reply = await client.post(f"{node_b}/api/v1/dialogs/{dialog_id}/reply", json={"text": "Anna via node B"},
                                  headers=auth)  # fmt: skip
        assert reply.status_code == 201
        await wait_until(lambda: any(d.get("text") == "Anna via node B" for _, d in seen), within_s=10)
        crossed_ms = (time.monotonic() - sent_at) * 1000
        stream.cancel()
        assert crossed_ms < 5000

        # The visitor keeps talking through node A; node A is killed; nothing it answered is lost.
        accepted = []
        for n in range(5):
            sent = await client.post(node_a + api + "messages", json={"text": f"note {n} for Anna"}, headers=headers)
            assert sent.status_code == 200
            accepted.append(f"note {n} for Anna")
        os.kill(_pid_on(node_a), signal.SIGKILL)
        after_kill = await client.post(node_b + api + "messages", json={"text": "still there?"}, headers=headers)
        assert after_kill.status_code == 200
    with psycopg.connect(get_settings().database_url) as conn:
        rows = conn.execute(
            "SELECT content FROM dialog_messages WHERE dialog_id = %s AND role = 'user' ORDER BY id", (dialog_id,)
        )
        stored = [row[0] for row in rows]
    assert stored[-6:] == [*accepted, "still there?"]


def _pid_on(base_url: str) -> int:
    port = base_url.rsplit(":", 1)[1]
    found = subprocess.run(["ss", "-ltnpH", f"sport = :{port}"], capture_output=True, text=True).stdout
    return int(found.split("pid=")[1].split(",")[0])


def _fleet(log: Path) -> subprocess.Popen[bytes]:
    return _spawn([sys.executable, "-m", "bot_fleet"], log)


def _running(log: Path) -> set[str]:
    """The bots this fleet runs now, from its log: started and not stopped since (a fleet gives back its surplus)."""
    running: set[str] = set()
    for line in log.read_text(errors="replace").splitlines():
        if "bot @" in line and (line.endswith(" stopped") or " started (" in line):
            name = line.split("bot @")[1].split()[0]
            (running.discard if line.endswith(" stopped") else running.add)(name)
    return running


async def test_leases_count_live_fleets_and_a_dead_fleets_bots_can_be_taken(on_redis: str, clean_db: str) -> None:
    """Both backends: each fleet sees the others, a lease has one holder, a holder that dies (its connection
    closed; its Redis presence expired) leaves its bots to the others."""
    redis_pair = [RedisLeases(REDIS_URL, namespace=on_redis, presence_ttl_ms=400) for _ in range(2)]
    postgres_pair = [PostgresLeases(clean_db) for _ in range(2)]
    for first, second in (redis_pair, postgres_pair):
        assert await first.heartbeat() == 1 and await second.heartbeat() == 2 and await first.heartbeat() == 2
        assert await first.acquire("bot-1") and not await second.acquire("bot-1")
        assert await second.acquire("bot-2") and await second.renew() == {"bot-2"}
    await postgres_pair[0].close()  # the server drops its locks with the connection
    survivor = redis_pair[1]
    await asyncio.sleep(0.5)  # the first Redis fleet stops beating (as if killed): its presence expires
    for leases in (survivor, postgres_pair[1]):
        assert await leases.heartbeat() == 1
        assert await leases.acquire("bot-1") and await leases.renew() == {"bot-1", "bot-2"}
    assert await redis_pair[0].renew() == set()  # the first one, back from a stall, no longer holds it
    for leases in (*redis_pair, postgres_pair[1]):
        await leases.close()


async def test_fleets_on_postgresql_leases_take_fair_shares_and_the_rest_when_one_stops(
    shop: Workspace,
    fake_telegram: FakeTelegram,  # noqa: F811
    clean_db: str,
) -> None:
    """The embedded default (no Redis): advisory locks. Alone a fleet runs every bot; a second one takes its
    share (ceil(3 / 2) = 2, so 2 + 1); when it stops, the first runs all three again."""
    async with session_scope() as session:
        await plans.assign_plan(session=session, tenant_id=shop.tenant_id, plan_code="enterprise")
    for i in range(3):
        token = fake_telegram.add_bot(920000 + i, f"pg_share_bot_{i}")
        await telegram.connect_bot(tenant_id=shop.tenant_id, assistant_id=shop.assistant_id, token=token)
    first, second = Fleet(), Fleet()
    stops = [asyncio.Event(), asyncio.Event()]
    runs = [asyncio.create_task(first.run(stops[0]))]
    try:
        await wait_until(lambda: len(first.runners) == 3, within_s=30)
        assert first.fleets == 1
        runs.append(asyncio.create_task(second.run(stops[1])))
        await wait_until(lambda: sorted([len(first.runners), len(second.runners)]) == [1, 2], within_s=30)
        assert first.fleets == second.fleets == 2 and not set(first.runners) & set(second.runners)
        stops[1].set()
        await asyncio.wait_for(runs[1], timeout=30)
        await wait_until(lambda: len(first.runners) == 3, within_s=30)
    finally:
        for stop in stops:
            stop.set()
        await asyncio.wait_for(asyncio.gather(*runs, return_exceptions=True), timeout=30)


async def test_two_fleets_split_the_bots_and_the_survivor_of_a_kill_takes_them_all(
    shop: Workspace,
    fake_telegram: FakeTelegram,  # noqa: F811
    on_redis: str,
    tmp_path: Path,
    clean_db: str,
) -> None:
    await _with_knowledge(shop)
    async with session_scope() as session:
        await plans.assign_plan(session=session, tenant_id=shop.tenant_id, plan_code="enterprise")
    names = {f"node_bot_{i}" for i in range(6)}
    tokens = [fake_telegram.add_bot(910000 + i, f"node_bot_{i}") for i in range(6)]
    for token in tokens:
        await telegram.connect_bot(tenant_id=shop.tenant_id, assistant_id=shop.assistant_id, token=token)
    logs = [tmp_path / "fleet-a.log", tmp_path / "fleet-b.log"]
    fleets = [_fleet(logs[0]), _fleet(logs[1])]
    try:
        # Fair share: three bots each (whichever started first gives back its surplus), none run twice.
        await wait_until(lambda: [len(_running(log)) for log in logs] == [3, 3], within_s=60)
        assert _running(logs[0]) | _running(logs[1]) == names
        for n, token in enumerate(tokens):
            fake_telegram.push_text(token, 100 + n, "How much is courier delivery?")
        await wait_until(lambda: all(fake_telegram.sent_texts(t) for t in tokens), within_s=60)
        # Every first reply recorded as sent before the kill: Telegram takes no idempotency key, so a reply it
        # accepted from a process killed before recording it is sent again by the survivor (at least once).
        for token in tokens:
            await wait_until_settled(clean_db, fake_telegram, token, within_s=60)

        fleets[0].send_signal(signal.SIGKILL)
        killed_at = time.monotonic()
        await wait_until(lambda: _running(logs[1]) == names, within_s=20)
        takeover_s = time.monotonic() - killed_at
        for n, token in enumerate(tokens):
            fake_telegram.push_text(token, 200 + n, "When do parcels reach Kazan?")
        await wait_until(lambda: all(len(fake_telegram.sent_texts(t)) >= 2 for t in tokens), within_s=60)
        for token in tokens:
            await wait_until_settled(clean_db, fake_telegram, token, within_s=90)
    finally:
        for fleet in fleets:
            if fleet.poll() is None:
                fleet.terminate()
                fleet.wait(30)
    assert takeover_s < 10, takeover_s
    for n, token in enumerate(tokens):
        assert len(fake_telegram.sent_texts(token, 100 + n)) == 1 and len(fake_telegram.sent_texts(token, 200 + n)) == 1


async def test_an_ingestion_survives_the_death_of_one_of_two_workers(
    shop: Workspace,
    on_redis: str,
    tmp_path: Path,
) -> None:
    workers = [_spawn([sys.executable, "-m", "chatai_app.worker"], tmp_path / f"worker-{i}.log") for i in range(2)]
    try:
        await asyncio.sleep(3)
        text = "\n\n".join(f"Section {n}. Parcels to city number {n} arrive in {n % 7 + 1} days." for n in range(400))
        async with session_scope() as session:
            added = await documents.add_document(session=session, tenant_id=shop.tenant_id,
                                                 assistant_id=shop.assistant_id, filename="cities.txt",
                                                 data=text.encode(), max_bytes=10**7)  # fmt: skip
        await asyncio.sleep(1.5)  # one of them has taken the job by now
        workers[0].send_signal(signal.SIGKILL)
        await wait_until(lambda: _status(added.id) == "ready", within_s=120)
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.terminate()
                worker.wait(30)
    await dispose_engines()


def _status(document_id: uuid.UUID) -> str:
    with psycopg.connect(get_settings().database_url) as conn:
        return conn.execute("SELECT status FROM documents WHERE id = %s", (document_id,)).fetchone()[0]
