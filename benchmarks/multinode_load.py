"""Widget load on one and on two API nodes sharing one PostgreSQL and one Redis (issue 17).

    python -m benchmarks.multinode_load [--visitors 32] [--messages 4] [--articles 6]

Nodes are `chatai_app.api.app:build_server` under granian (what `chatai run --role web` serves for the API),
each its own process, on DATABASE_URL (or an embedded PostgreSQL) and the Redis at CHATAI_TEST_REDIS_URL
(default redis://127.0.0.1:6379/14) with a namespace of their own. Visitors (asyncio, loopback) each send
`--messages` questions through the widget API, alternating nodes, with the offline answerer; reported per
size: messages/s, p50/p95/p99, errors. A third run on two nodes kills one node (SIGKILL) halfway; a
visitor whose request fails retries once on the other node: reported are the failed first tries and the
messages lost (0 expected). Widget rate limits are raised for the run (one address sends everything).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import statistics
import subprocess
import time
import uuid
from pathlib import Path

import httpx

from benchmarks.http_answer_latency import _ensure_database, _percentile, _workspace
from benchmarks.widget_connections import _start_server

RESULTS = Path(__file__).resolve().parent / "results"
RAISED_LIMITS = {
    name: "100000"
    for name in ("WIDGET_VISITORS_PER_IP_PER_MINUTE", "WIDGET_MESSAGES_PER_VISITOR_PER_MINUTE",
                 "WIDGET_MESSAGES_PER_IP_PER_MINUTE", "WIDGET_MESSAGES_PER_ASSISTANT_PER_MINUTE")
}  # fmt: skip


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
                outcome["errors"].append(response.status_code)
            except httpx.HTTPError as exc:
                outcome["errors"].append(type(exc).__name__)
            if attempt == 0:
                outcome["retried"].append(n)
        else:
            outcome["lost"].append(body["message_id"])


async def _round(nodes: list[str], api: str, questions: list[str], visitors: int, messages: int,
                 kill: subprocess.Popen[bytes] | None = None) -> dict[str, object]:  # fmt: skip
    outcome: dict[str, list] = {"ms": [], "errors": [], "retried": [], "lost": []}
    limits = httpx.Limits(max_connections=visitors * 2, max_keepalive_connections=visitors * 2)
    async with httpx.AsyncClient(timeout=60, limits=limits) as client:
        started = time.perf_counter()
        running = asyncio.gather(*(_visitor(client, nodes, api, questions, n, messages, outcome)
                                   for n in range(visitors)))  # fmt: skip
        if kill is not None:
            await asyncio.sleep(1.0)
            os.killpg(kill.pid, signal.SIGKILL)
        await running
        wall = time.perf_counter() - started
    ms = outcome["ms"]
    return {"nodes": len(nodes), "visitors": visitors, "messages": visitors * messages, "answered": len(ms),
            "messages_per_s": round(len(ms) / wall, 1), "p50_ms": round(statistics.median(ms), 1),
            "p95_ms": round(_percentile(ms, 0.95), 1), "p99_ms": round(_percentile(ms, 0.99), 1),
            "failed_first_tries": len(outcome["retried"]), "lost": len(outcome["lost"]),
            "node_killed": kill is not None}  # fmt: skip


async def run(visitors: int, messages: int, articles: int, ports: list[int]) -> dict[str, object]:
    from chatai_app.db import dispose_engines
    from chatai_app.services.knowledge.evaluation import load_questions
    from tests.knowledge.conftest import xquad

    data = xquad("en")
    questions = [q for q, _ in load_questions({"data": data["data"][:articles]})]
    nodes = [_node(port) for port in ports]
    urls = [f"http://127.0.0.1:{port}" for port in ports]
    try:
        async with httpx.AsyncClient(base_url=urls[0], timeout=60) as client:
            assistant_id, _, _ = await _workspace(client, data, articles)
        api = f"/api/widget/v1/{assistant_id}/"
        for url in urls:  # each node loads its embedding model once, outside the measurement
            async with httpx.AsyncClient(timeout=60) as client:
                token = (await client.post(url + api + "visitor")).json()["token"]
                warm = {"X-Visitor-Token": token}
                await client.post(url + api + "messages", json={"text": questions[0]}, headers=warm)
        one = await _round(urls[:1], api, questions, visitors, messages)
        two = await _round(urls, api, questions, visitors, messages)
        killed = await _round(urls, api, questions, visitors, messages, kill=nodes[1])
    finally:
        for node in nodes:
            if node.poll() is None:
                node.terminate()
                node.wait(20)
        await dispose_engines()
    return {"machine": "2 cores (client, nodes and PostgreSQL share them)", "one_node": one, "two_nodes": two,
            "two_nodes_one_killed": killed}  # fmt: skip


def main(argv: list[str] | None = None) -> dict[str, object]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--visitors", type=int, default=32)
    parser.add_argument("--messages", type=int, default=4)
    parser.add_argument("--articles", type=int, default=6)
    parser.add_argument("--out", type=Path, default=RESULTS / "multinode_load.json", help="'-' to not save")
    args = parser.parse_args(argv)

    from tests.browser.conftest import _free_port

    os.environ.setdefault("REDIS_URL", os.environ.get("CHATAI_TEST_REDIS_URL", "redis://127.0.0.1:6379/14"))
    os.environ.setdefault("CHATAI_EVENT_NAMESPACE", f"bench-{uuid.uuid4().hex[:8]}")
    _ensure_database()
    result = asyncio.run(run(args.visitors, args.messages, args.articles, [_free_port(), _free_port()]))
    print(json.dumps(result, indent=2))
    if str(args.out) != "-":
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(result, indent=2) + "\n")
    return result


if __name__ == "__main__":
    main()
