"""Mixed load on one and on two nodes sharing one PostgreSQL and one Redis (issue 17): widget visitors,
operators with open inboxes and Telegram updates, all at once.

    python -m benchmarks.multinode_load [--visitors 32] [--messages 4] [--operators 8] [--bots 20] [--updates 60]

Nodes are `chatai_app.api.app:build_server` under granian (what `chatai run --role web` serves for the API),
each its own process, on DATABASE_URL (or an embedded PostgreSQL) and the Redis at CHATAI_TEST_REDIS_URL
(default redis://127.0.0.1:6379/14) with a namespace of their own. Visitors (asyncio, loopback) each send
`--messages` questions through the widget API, alternating nodes, with the offline answerer; reported per
size: messages/s, p50/p95/p99, errors. A third run on two nodes kills one node (SIGKILL) halfway; a
visitor whose request fails retries once on the other node: reported are the failed first tries and the
messages lost (0 expected). Widget rate limits are raised for the run (one address sends everything).

Meanwhile `--operators` operators keep their inbox open through the JSON API of the nodes (the list of dialogs
and the newest one's transcript, every second, as the console's inbox refreshes; alternating nodes, retried on
the other one), and `--updates` Telegram updates (each a new chat) are offered at `--rate` per second to
`--bots` bots through the fake Bot API (tests/fakes/telegram_server.py, in this process) and answered by the
bot fleets (`python -m bot_fleet`, one at 1x, two splitting the bots at 2x; Redis leases). Reported per size:
operator request p50/p95 and errors; Telegram answered, lost, duplicated, updates/s and p50/p95 from the
moment the update was available to the moment its reply reached the fake.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from benchmarks.fleet_burst import QUESTIONS
from benchmarks.http_answer_latency import _ensure_database, _percentile, _workspace
from benchmarks.widget_connections import _start_server
from chatai_app.settings import get_settings

RESULTS = Path(__file__).resolve().parent / "results"
RAISED_LIMITS = {
    name: "100000"
    for name in ("WIDGET_VISITORS_PER_IP_PER_MINUTE", "WIDGET_MESSAGES_PER_VISITOR_PER_MINUTE",
                 "WIDGET_MESSAGES_PER_IP_PER_MINUTE", "WIDGET_MESSAGES_PER_ASSISTANT_PER_MINUTE")
}  # fmt: skip


def _running(log: Path) -> set[str]:
    """The bots a fleet runs now, from its log (started and not stopped since)."""
    running: set[str] = set()
    for line in log.read_text(errors="replace").splitlines():
        if "bot @" in line and (line.endswith(" stopped") or " started (" in line):
            name = line.split("bot @")[1].split()[0]
            (running.discard if line.endswith(" stopped") else running.add)(name)
    return running


async def _until(predicate, within_s: float) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + within_s
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError("the fleets did not take their bots (or answer)")
        await asyncio.sleep(0.2)


def _fleet(log: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    return subprocess.Popen([sys.executable, "-m", "bot_fleet"], env=env, stdout=log.open("wb"),
                            stderr=subprocess.STDOUT, start_new_session=True)  # fmt: skip


async def _operator(client: httpx.AsyncClient, nodes: list[str], auth: dict[str, str], n: int, done: asyncio.Event,
                    outcome: dict[str, list]) -> None:  # fmt: skip
    """An open inbox: the dialog list and the newest dialog's transcript, every second, until the round ends."""
    turn = n
    while not done.is_set():
        started = time.perf_counter()
        for attempt in range(len(nodes)):
            node = nodes[(turn + attempt) % len(nodes)]
            try:
                listed = await client.get(node + "/api/v1/dialogs?limit=50", headers=auth)
                if listed.status_code == 200 and listed.json():
                    newest = listed.json()[0]["id"]
                    listed = await client.get(f"{node}/api/v1/dialogs/{newest}/messages", headers=auth)
                if listed.status_code == 200:
                    outcome["operator_ms"].append((time.perf_counter() - started) * 1000)
                    break
                outcome["operator_errors"].append(listed.status_code)
            except httpx.HTTPError as exc:
                outcome["operator_errors"].append(type(exc).__name__)
        turn += 1
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(done.wait(), timeout=1.0)


async def _telegram(fake: Any, tokens: list[str], updates: int, rate: float, first_chat: int) -> dict[str, Any]:
    """Offer `updates` new chats at `rate`/s over the bots; wait (up to 90 s after the last) until each is answered."""
    asked: dict[tuple[str, int], float] = {}
    for n in range(updates):
        token, chat = tokens[n % len(tokens)], first_chat + n
        update_id = fake.push_text(token, chat, QUESTIONS[n % len(QUESTIONS)])
        asked[(token, chat)] = fake.bots[token].pushed_at[update_id]
        await asyncio.sleep(1 / rate)
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        replies = _replies(fake, asked)
        if all(replies.get(key) for key in asked):
            break
        await asyncio.sleep(0.2)
    await asyncio.sleep(1)  # a late duplicate would be out by now
    replies = _replies(fake, asked)
    delays = [min(replies[key]) - at for key, at in asked.items() if replies.get(key)]
    last = max((min(replies[key]) for key in asked if replies.get(key)), default=min(asked.values()))
    return {"updates": updates, "offered_per_s": rate, "answered": len(delays), "lost": updates - len(delays),
            "duplicated": sum(1 for key in asked if len(replies.get(key, [])) > 1),
            "updates_per_s": round(len(delays) / max(0.001, last - min(asked.values())), 1),
            "p50_s": round(statistics.median(delays), 2) if delays else None,
            "p95_s": round(_percentile(delays, 0.95), 2) if delays else None}  # fmt: skip


def _replies(fake: Any, asked: dict[tuple[str, int], float]) -> dict[tuple[str, int], list[float]]:
    """(token, chat) -> when each reply reached the fake."""
    out: dict[tuple[str, int], list[float]] = {}
    with fake.lock:
        for token in {token for token, _ in asked}:
            bot = fake.bots[token]
            for message, at in zip(bot.sent, bot.sent_at, strict=False):
                key = (token, int(message["chat_id"]))
                if key in asked:
                    out.setdefault(key, []).append(at)
    return out


async def _warm_fleet(fake: Any, tokens: list[str], log: Path, chat: int) -> None:
    """One update to a bot of this fleet: it loads its embedding model now, not during the measurement."""
    token = next(t for n, t in enumerate(tokens) if f"load_bot_{n}" in _running(log))
    fake.push_text(token, chat, QUESTIONS[0])
    await _until(lambda: fake.sent_texts(token, chat), within_s=120)


def _node(port: int) -> subprocess.Popen[bytes]:
    return _start_server(port, env={**os.environ, **RAISED_LIMITS}, log_level="error", own_session=True)


async def _visitor(client: httpx.AsyncClient, nodes: list[str], api: str, questions: list[str], n: int,
                   messages: int, outcome: dict[str, list]) -> None:  # fmt: skip
    node = nodes[n % len(nodes)]
    token = (await client.post(node + api + "visitor")).json()["token"]
    for m in range(messages):
        node = nodes[(n + m) % len(nodes)]
        body = {"text": questions[(n * messages + m) % len(questions)], "message_id": f"{n}-{m}"}
        started = time.perf_counter()
        for attempt, target in enumerate((node, *[x for x in nodes if x != node])):
            try:
                response = await client.post(target + api + "messages", json=body, headers={"X-Visitor-Token": token})
                if response.status_code == 200 and '"outcome"' in response.text:
                    outcome["ms"].append((time.perf_counter() - started) * 1000)
                    break
                outcome["errors"].append(_error_code(response))
            except httpx.HTTPError as exc:
                outcome["errors"].append(type(exc).__name__)
            if attempt == 0:
                outcome["retried"].append(n)
        else:
            outcome["lost"].append(body["message_id"])


def _error_code(response: httpx.Response) -> str:
    """The status, and the error the answer names (a turn refused inside the event stream comes with 200)."""
    found = re.search(r'"error": ?"([a-z_]+)"', response.text)
    return f"{response.status_code} {found.group(1)}" if found else str(response.status_code)


async def _round(nodes: list[str], api: str, questions: list[str], visitors: int, messages: int, traffic: Traffic,
                 kill: subprocess.Popen[bytes] | None = None) -> dict[str, object]:  # fmt: skip
    outcome: dict[str, list] = {"ms": [], "errors": [], "retried": [], "lost": [], "operator_ms": [],
                                "operator_errors": []}  # fmt: skip
    limits = httpx.Limits(max_connections=(visitors + traffic.operators) * 2,
                          max_keepalive_connections=(visitors + traffic.operators) * 2)  # fmt: skip
    done = asyncio.Event()
    async with httpx.AsyncClient(timeout=60, limits=limits) as client:
        inboxes = [asyncio.create_task(_operator(client, nodes, traffic.auth, n, done, outcome))
                   for n in range(traffic.operators)]  # fmt: skip
        telegram = asyncio.create_task(_telegram(traffic.fake, traffic.tokens, traffic.updates, traffic.rate,
                                                 traffic.next_chat()))  # fmt: skip
        started = time.perf_counter()
        running = asyncio.gather(*(_visitor(client, nodes, api, questions, n, messages, outcome)
                                   for n in range(visitors)))  # fmt: skip
        if kill is not None:
            await asyncio.sleep(1.0)
            os.killpg(kill.pid, signal.SIGKILL)
        await running
        wall = time.perf_counter() - started
        telegram_result = await telegram
        done.set()
        await asyncio.gather(*inboxes)
    ms, operator_ms = outcome["ms"], outcome["operator_ms"]
    return {"nodes": len(nodes), "fleets": traffic.fleets, "visitors": visitors, "messages": visitors * messages,
            "answered": len(ms), "messages_per_s": round(len(ms) / wall, 1), "p50_ms": round(statistics.median(ms), 1),
            "p95_ms": round(_percentile(ms, 0.95), 1), "p99_ms": round(_percentile(ms, 0.99), 1),
            "failed_first_tries": len(outcome["retried"]), "lost": len(outcome["lost"]),
            "errors": {str(k): n for k, n in Counter(outcome["errors"]).items()}, "node_killed": kill is not None,
            "operators": {"open_inboxes": traffic.operators, "requests": len(operator_ms),
                          "p50_ms": round(statistics.median(operator_ms), 1) if operator_ms else None,
                          "p95_ms": round(_percentile(operator_ms, 0.95), 1) if operator_ms else None,
                          "failed_tries": len(outcome["operator_errors"])},
            "telegram": telegram_result}  # fmt: skip


@dataclass
class Traffic:
    """What runs beside the widget visitors in each round."""

    auth: dict[str, str]
    operators: int
    fake: Any
    tokens: list[str]
    updates: int
    rate: float
    fleets: int = 1
    chats: int = 0

    def next_chat(self) -> int:
        self.chats += 1
        return 5_000_000 + self.chats * 100_000  # every round's chats are new


async def _bots(fake: Any, assistant_id: str, auth: dict[str, str], base_url: str, bots: int) -> list[str]:
    from chatai_app.services import telegram

    async with httpx.AsyncClient(base_url=base_url, timeout=60) as client:
        tenant_id = (await client.get("/api/v1/auth/me", headers=auth)).json()["tenant_id"]
    tokens = [fake.add_bot(7_700_000 + n, f"load_bot_{n}") for n in range(bots)]
    for token in tokens:
        await telegram.connect_bot(tenant_id=uuid.UUID(tenant_id), assistant_id=uuid.UUID(assistant_id), token=token)
    return tokens


async def run(args: argparse.Namespace, ports: list[int]) -> dict[str, object]:
    from chatai_app.db import dispose_engines
    from chatai_app.services.knowledge.evaluation import load_questions
    from tests.fakes.telegram_server import FakeTelegram
    from tests.knowledge.conftest import xquad

    data = xquad("en")
    questions = [q for q, _ in load_questions({"data": data["data"][: args.articles]})]
    fake = FakeTelegram(record_calls=False)
    fake.start()
    os.environ["TELEGRAM_API_URL"] = fake.base_url
    get_settings.cache_clear()
    logs = Path(tempfile.mkdtemp(prefix="chatai-multinode-"))
    nodes = [_node(port) for port in ports]
    urls = [f"http://127.0.0.1:{port}" for port in ports]
    fleets: list[subprocess.Popen[bytes]] = []
    try:
        async with httpx.AsyncClient(base_url=urls[0], timeout=60) as client:
            assistant_id, auth, _ = await _workspace(client, data, args.articles)
        tokens = await _bots(fake, assistant_id, auth, urls[0], args.bots)
        names = {f"load_bot_{n}" for n in range(args.bots)}
        traffic = Traffic(auth, args.operators, fake, tokens, args.updates, args.rate)
        api = f"/api/widget/v1/{assistant_id}/"
        for url in urls:  # each node loads its embedding model once, outside the measurement
            async with httpx.AsyncClient(timeout=60) as client:
                token = (await client.post(url + api + "visitor")).json()["token"]
                warm = {"X-Visitor-Token": token}
                await client.post(url + api + "messages", json={"text": questions[0]}, headers=warm)
        fleets.append(_fleet(logs / "fleet-0.log"))
        await _until(lambda: _running(logs / "fleet-0.log") == names, within_s=120)
        await _warm_fleet(fake, tokens, logs / "fleet-0.log", chat=4_999_000)
        one = await _round(urls[:1], api, questions, args.visitors, args.messages, traffic)
        fleets.append(_fleet(logs / "fleet-1.log"))  # the second fleet takes its share of the bots
        half = len(names) // 2
        await _until(lambda: len(_running(logs / "fleet-1.log")) >= half
                     and len(_running(logs / "fleet-0.log")) <= len(names) - half, within_s=120)  # fmt: skip
        await _warm_fleet(fake, tokens, logs / "fleet-1.log", chat=4_999_001)
        traffic.fleets = 2
        two = await _round(urls, api, questions, args.visitors, args.messages, traffic)
        killed = await _round(urls, api, questions, args.visitors, args.messages, traffic, kill=nodes[1])
    finally:
        for process in (*nodes, *fleets):
            if process.poll() is None:
                process.terminate()
                process.wait(30)
        fake.shutdown()
        await dispose_engines()
    return {"machine": "2 cores (client, nodes, fleets, fake Bot API and PostgreSQL share them)", "one_node": one,
            "two_nodes": two, "two_nodes_one_killed": killed}  # fmt: skip


def main(argv: list[str] | None = None) -> dict[str, object]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--visitors", type=int, default=32)
    parser.add_argument("--messages", type=int, default=4)
    parser.add_argument("--articles", type=int, default=6)
    parser.add_argument("--operators", type=int, default=8, help="open inboxes (JSON API, every second)")
    parser.add_argument("--bots", type=int, default=20)
    parser.add_argument("--updates", type=int, default=60, help="Telegram updates per round, each a new chat")
    parser.add_argument("--rate", type=float, default=4.0, help="Telegram updates offered per second")
    parser.add_argument("--out", type=Path, default=RESULTS / "multinode_load.json", help="'-' to not save")
    args = parser.parse_args(argv)

    from tests.browser.conftest import _free_port

    os.environ.setdefault("REDIS_URL", os.environ.get("CHATAI_TEST_REDIS_URL", "redis://127.0.0.1:6379/14"))
    os.environ.setdefault("CHATAI_EVENT_NAMESPACE", f"bench-{uuid.uuid4().hex[:8]}")
    _ensure_database()
    result = asyncio.run(run(args, [_free_port(), _free_port()]))
    print(json.dumps(result, indent=2))
    if str(args.out) != "-":
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(result, indent=2) + "\n")
    return result


if __name__ == "__main__":
    main()
