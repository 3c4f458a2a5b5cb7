"""A burst of concurrent chats through the HTTP API, then the widget abuse run (issue 11).

    python -m benchmarks.http_chat_load [--concurrency 200] [--articles 6] [--abuse-loops 30]
                                        [--conversations 64] [--turns 8] [--warmup-turns 1] [--sustained-only]

The API (`chatai_app.api.app:build_server`, with its request guard) runs under granian in its own process
on DATABASE_URL or an embedded PostgreSQL. Part 1: `--concurrency` conversations each send one message to
`POST /api/v1/assistants/<id>/chat` at the same moment (offline answerer); reports status codes (the target:
all 200, no 5xx, no timeouts), p50/p95/p99/max and messages/s. Part 2: the attack from the report, loops of
`POST /visitor` + two `POST /messages` without an Origin from one address against an assistant with no
allow-list: how many were refused (429) and what the tenant was charged compared with the limits.
Part 3 (issue 16): `--conversations` conversations at once, each sending `--warmup-turns` untimed and then
`--turns` timed different questions one after the other (a throughput is read in steady state, not while the
server loads its model and fills its pools): messages/s, errors, p50/p99; beside it the floor, the embedding
model's own questions/s embedding the same questions in batches (as the engine batches concurrent questions) in
this process. `--sustained-only` runs part 3 alone and saves it to results/http_chat_sustained.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time
from pathlib import Path

import httpx

from benchmarks.http_answer_latency import _ensure_database, _percentile, _workspace

RESULTS = Path(__file__).resolve().parent / "results"


async def _chat(client: httpx.AsyncClient, path: str, auth: dict[str, str], text: str, n: int) -> tuple[int, float]:
    started = time.perf_counter()
    try:
        response = await client.post(path, json={"text": text, "conversation_id": f"load-{n}"}, headers=auth)
        status = response.status_code
    except httpx.HTTPError:
        status = 0  # a timeout or a dropped connection
    return status, (time.perf_counter() - started) * 1000


async def burst(client: httpx.AsyncClient, assistant_id: str, auth: dict[str, str], questions: list[str],
                concurrency: int) -> dict[str, object]:  # fmt: skip
    path = f"/api/v1/assistants/{assistant_id}/chat"
    await _chat(client, path, auth, questions[0], -1)  # the server loads its embedding model on the first one
    started = time.perf_counter()
    results = await asyncio.gather(*(
        _chat(client, path, auth, questions[n % len(questions)], n) for n in range(concurrency)
    ))  # fmt: skip
    wall = time.perf_counter() - started
    latencies = [ms for _, ms in results]
    statuses: dict[str, int] = {}
    for status, _ in results:
        statuses[str(status)] = statuses.get(str(status), 0) + 1
    return {
        "concurrency": concurrency, "statuses": statuses, "errors": concurrency - statuses.get("200", 0),
        "p50_ms": round(statistics.median(latencies), 1), "p95_ms": round(_percentile(latencies, 0.95), 1),
        "p99_ms": round(_percentile(latencies, 0.99), 1), "max_ms": round(max(latencies), 1),
        "wall_s": round(wall, 2), "messages_per_s": round(concurrency / wall, 1),
    }  # fmt: skip


async def sustained(client: httpx.AsyncClient, assistant_id: str, auth: dict[str, str], questions: list[str],
                    conversations: int, turns: int, warmup_turns: int = 1) -> dict[str, object]:  # fmt: skip
    """Every conversation first sends `warmup_turns` untimed messages (the server's model loads, its pools fill,
    each conversation exists), then `turns` timed ones."""
    path = f"/api/v1/assistants/{assistant_id}/chat"
    results: list[tuple[int, float]] = []

    async def conversation(n: int, first: int, last: int, timed: bool) -> None:
        for turn in range(first, last):  # a different question each turn (no repeat handoff, no cached vector)
            text = f"{questions[(n + turn) % len(questions)]} ({n}.{turn})"
            status, ms = await _chat(client, path, auth, text, 1000 + n)
            if timed:
                results.append((status, ms))

    await asyncio.gather(*(conversation(n, 0, warmup_turns, False) for n in range(conversations)))
    started = time.perf_counter()
    await asyncio.gather(*(conversation(n, warmup_turns, warmup_turns + turns, True) for n in range(conversations)))
    wall = time.perf_counter() - started
    latencies = [ms for _, ms in results]
    errors = sum(status != 200 for status, _ in results)
    statuses: dict[str, int] = {}
    for status, _ in results:
        statuses[str(status)] = statuses.get(str(status), 0) + 1
    return {"conversations": conversations, "turns": turns, "warmup_turns": warmup_turns, "messages": len(results),
            "errors": errors,
            "statuses": statuses,
            "messages_per_s": round(len(results) / wall, 1), "p50_ms": round(statistics.median(latencies), 1),
            "p99_ms": round(_percentile(latencies, 0.99), 1), "wall_s": round(wall, 2)}  # fmt: skip


async def embedder_floor(questions: list[str], messages: int) -> dict[str, float]:
    """The model alone: `messages` new questions embedded in batches of QUERY_BATCH (questions/s)."""
    from chatai_app.services.knowledge.embeddings import QUERY_BATCH, provider_for

    provider = provider_for("")
    texts = [f"{questions[i % len(questions)]} (floor {i})" for i in range(messages)]
    await provider.embed_queries(texts[:2])  # model load
    started = time.perf_counter()
    for start in range(0, len(texts), QUERY_BATCH):
        await provider.embed_queries(texts[start : start + QUERY_BATCH])
    return {"questions": messages, "batch": QUERY_BATCH,
            "questions_per_s": round(messages / (time.perf_counter() - started), 1)}  # fmt: skip


async def _balance(client: httpx.AsyncClient, auth: dict[str, str]) -> int:
    return int((await client.get("/api/v1/billing", headers=auth)).json()["balance_minor"])


async def _paying_workspace(client: httpx.AsyncClient) -> tuple[str, dict[str, str]]:
    """A Free-plan workspace with 1,000.00 on its balance (the victim of the abuse run)."""
    from chatai_app.db import session_scope
    from chatai_app.services import billing

    signup = await client.post("/api/v1/auth/signup", json={"email": f"victim-{time.time_ns()}@example.com",
                                                            "password": "victim password 1"})  # fmt: skip
    auth = {"Authorization": f"Bearer {signup.json()['access_token']}"}
    tenant_id = (await client.get("/api/v1/auth/me", headers=auth)).json()["tenant_id"]
    async with session_scope() as session:
        await billing.credit(session=session, tenant_id=tenant_id, amount=100_000, kind="adjustment",  # type: ignore[arg-type]
                             idempotency_key="bench-funds")  # fmt: skip
    assistant = await client.post("/api/v1/assistants", json={"name": "Victim"}, headers=auth)
    return assistant.json()["id"], auth


async def abuse(client: httpx.AsyncClient, loops: int) -> dict[str, object]:
    assistant_id, auth = await _paying_workspace(client)
    api = f"/api/widget/v1/{assistant_id}/"
    before, started = await _balance(client, auth), time.perf_counter()
    codes: dict[str, int] = {}

    def count(response: httpx.Response) -> httpx.Response:
        codes[str(response.status_code)] = codes.get(str(response.status_code), 0) + 1
        return response

    answered = 0
    for i in range(loops):
        visitor = count(await client.post(api + "visitor"))
        if visitor.status_code != 201:
            continue
        for j in range(2):
            sent = count(await client.post(api + "messages", json={"text": f"Tell me about topic {i}-{j}"},
                                           headers={"X-Visitor-Token": visitor.json()["token"]}))  # fmt: skip
            answered += sent.status_code == 200
    charged = before - await _balance(client, auth)
    return {"loops": loops, "responses": codes, "answered": answered, "charged_minor": charged,
            "charged_per_answer_minor": round(charged / answered, 1) if answered else 0,
            "seconds": round(time.perf_counter() - started, 2)}  # fmt: skip


async def run(base_url: str, *, concurrency: int, articles: int, loops: int, conversations: int = 64,
              turns: int = 8, warmup_turns: int = 1, sustained_only: bool = False) -> dict[str, object]:  # fmt: skip
    from chatai_app.db import dispose_engines
    from chatai_app.services.knowledge.evaluation import load_questions
    from tests.knowledge.conftest import xquad

    data = xquad("en")
    questions = [q for q, _ in load_questions({"data": data["data"][:articles]})]
    limits = httpx.Limits(max_connections=concurrency + 10, max_keepalive_connections=concurrency + 10)
    try:
        async with httpx.AsyncClient(base_url=base_url, timeout=60, limits=limits) as client:
            assistant_id, auth, chunks = await _workspace(client, data, articles)
            loaded = None if sustained_only else await burst(client, assistant_id, auth, questions, concurrency)
            abused = None if sustained_only else await abuse(client, loops)
            steady = await sustained(client, assistant_id, auth, questions, conversations, turns, warmup_turns)
        floor = await embedder_floor(questions, conversations * turns)
    finally:
        await dispose_engines()
    steady["ratio_to_embedder"] = round(float(steady["messages_per_s"]) / floor["questions_per_s"], 3)
    if sustained_only:
        return {"machine": "2 cores", "articles": articles, "chunks": chunks, "sustained": steady,
                "embedder_alone": floor}  # fmt: skip
    return {"machine": "2 cores", "articles": articles, "chunks": chunks, "burst": loaded, "widget_abuse": abused,
            "sustained": steady, "embedder_alone": floor}  # fmt: skip


def main(argv: list[str] | None = None) -> dict[str, object]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--concurrency", type=int, default=200)
    parser.add_argument("--articles", type=int, default=6)
    parser.add_argument("--abuse-loops", type=int, default=30)
    parser.add_argument("--conversations", type=int, default=64)
    parser.add_argument("--turns", type=int, default=8, help="timed turns per conversation")
    parser.add_argument("--warmup-turns", type=int, default=1, help="untimed turns per conversation first")
    parser.add_argument("--sustained-only", action="store_true", help="part 3 alone (http_chat_sustained.json)")
    parser.add_argument("--out", type=Path, default=RESULTS / "http_chat_load.json", help="'-' to not save")
    args = parser.parse_args(argv)
    if args.sustained_only and args.out == RESULTS / "http_chat_load.json":
        args.out = RESULTS / "http_chat_sustained.json"

    from benchmarks.widget_connections import _start_server
    from tests.browser.conftest import _free_port

    _ensure_database()
    port = _free_port()
    server = _start_server(port)
    try:
        result = asyncio.run(run(f"http://127.0.0.1:{port}", concurrency=args.concurrency, articles=args.articles,
                                 loops=args.abuse_loops, conversations=args.conversations,
                                 turns=args.turns, warmup_turns=args.warmup_turns,
                                 sustained_only=args.sustained_only))  # fmt: skip
    finally:
        server.terminate()
        server.wait(20)
    print(json.dumps(result, indent=2))
    if str(args.out) != "-":
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(result, indent=2) + "\n")
    return result


if __name__ == "__main__":
    main()
