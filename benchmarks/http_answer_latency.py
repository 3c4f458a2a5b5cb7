"""Offline answer latency through the HTTP chat API, on the XQuAD-dev knowledge base.

    python -m benchmarks.http_answer_latency [--articles 24] [--questions 100] [--language en]

Uses DATABASE_URL, or an embedded PostgreSQL in a temporary directory, and serves the API
(`chatai_app.api.app:build_api`) under granian, the ASGI server of production, in its own process.
Everything a client does goes over HTTP: sign up, create an assistant (offline extractive provider,
the default), upload one document per XQuAD article (the job queue is drained here to ingest them),
then ask N XQuAD questions with `POST /api/v1/assistants/<id>/chat` (not streamed), each in its own
conversation. Reports p50/p95/max of the whole request as the client sees it, next to the engine's
own time for the turn and the part of it spent producing the answer (`llm_ms`). The workspace is on
the enterprise plan so limits and balance never interfere.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import statistics
import tempfile
import time
from pathlib import Path

import httpx

RESULTS = Path(__file__).resolve().parent / "results"


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


def _ensure_database() -> str:
    if not os.environ.get("DATABASE_URL"):
        from chatai_app.embedded_pg import start_embedded_postgres

        os.environ["DATABASE_URL"] = start_embedded_postgres(
            Path(tempfile.mkdtemp(prefix="chatai-http-")), cleanup_mode="delete"
        )
    from chatai_app.migrations import upgrade_to_head
    from chatai_app.settings import get_settings

    get_settings.cache_clear()
    upgrade_to_head(os.environ["DATABASE_URL"])
    return os.environ["DATABASE_URL"]


async def _enterprise(tenant_id: str) -> None:
    from chatai_app.db import session_scope
    from chatai_app.services import plans

    async with session_scope() as session:
        await plans.assign_plan(session=session, tenant_id=tenant_id, plan_code="enterprise")  # type: ignore[arg-type]


async def _workspace(client: httpx.AsyncClient, data: dict, articles: int) -> tuple[str, dict[str, str], int]:
    from chatai_app.services.knowledge.evaluation import article_text
    from chatai_app.worker import run_until_idle

    email = f"http-bench-{time.time_ns()}@example.com"
    signup = await client.post("/api/v1/auth/signup", json={"email": email, "password": "bench password 1"})
    assert signup.status_code == 201, signup.text
    auth = {"Authorization": f"Bearer {signup.json()['access_token']}"}
    me = (await client.get("/api/v1/auth/me", headers=auth)).json()
    await _enterprise(me["tenant_id"])
    created = await client.post("/api/v1/assistants", json={"name": "XQuAD"}, headers=auth)
    assert created.status_code == 201, created.text
    assistant_id = created.json()["id"]
    for article in data["data"][:articles]:
        files = {"file": (f"{article['title']}.txt", article_text(article).encode(), "text/plain")}
        uploaded = await client.post(f"/api/v1/assistants/{assistant_id}/documents", files=files, headers=auth)
        assert uploaded.status_code == 201, uploaded.text
    await run_until_idle()  # the worker's job: extract, chunk, embed, store
    documents = (await client.get(f"/api/v1/assistants/{assistant_id}/documents", headers=auth)).json()
    assert [d["status"] for d in documents] == ["ready"] * articles, documents
    return assistant_id, auth, sum(d["chunk_count"] for d in documents)


async def _ask(client: httpx.AsyncClient, path: str, auth: dict[str, str], question: str, n: int) -> dict:
    started = time.perf_counter()
    response = await client.post(path, json={"text": question, "conversation_id": f"visitor-{n}"}, headers=auth)
    elapsed_ms = (time.perf_counter() - started) * 1000
    assert response.status_code == 200, response.text
    return response.json() | {"http_ms": elapsed_ms}


async def measure(base_url: str, *, articles: int, questions: int, language: str, warmup: int) -> dict[str, object]:
    from chatai_app.data import XQUAD_DIR
    from chatai_app.services.knowledge.evaluation import load_questions

    data = json.loads((XQUAD_DIR / f"xquad-dev.{language}.json").read_text(encoding="utf-8"))
    articles = min(articles, len(data["data"]))
    asked = [q for q, _ in load_questions({"data": data["data"][:articles]})]
    async with httpx.AsyncClient(base_url=base_url, timeout=60) as client:
        assistant_id, auth, chunks = await _workspace(client, data, articles)
        path = f"/api/v1/assistants/{assistant_id}/chat"
        for n in range(warmup):  # the server process loads the embedding model on its first question
            await _ask(client, path, auth, asked[n % len(asked)], -1 - n)
        turns = [await _ask(client, path, auth, asked[n % len(asked)], n) for n in range(questions)]
    http = [t["http_ms"] for t in turns]
    engine = [t["elapsed_ms"] for t in turns]
    llm = [t["llm_ms"] for t in turns]
    outcomes: dict[str, int] = {}
    for turn in turns:
        outcomes[turn["outcome"]] = outcomes.get(turn["outcome"], 0) + 1
    return {
        "language": language, "articles": articles, "chunks": chunks, "questions": questions,
        "outcomes": outcomes, "p50_ms": round(statistics.median(http), 1), "p95_ms": round(_percentile(http, 0.95), 1),
        "max_ms": round(max(http), 1), "engine_p50_ms": round(statistics.median(engine), 1),
        "answer_generation_p50_ms": round(statistics.median(llm), 1),
        "load_average_1m": round(os.getloadavg()[0], 2), "cpus": os.cpu_count(),  # other work on the machine
    }  # fmt: skip


def main(argv: list[str] | None = None) -> dict[str, object]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=24)
    parser.add_argument("--questions", type=int, default=100)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--language", choices=("en", "ru"), default="en")
    parser.add_argument("--out", type=Path, default=RESULTS / "http_answer_latency.json", help="'-' to not save")
    args = parser.parse_args(argv)

    from benchmarks.widget_connections import _start_server
    from tests.browser.conftest import _free_port

    _ensure_database()
    port = _free_port()
    server = _start_server(port)
    try:
        result = asyncio.run(
            _run(f"http://127.0.0.1:{port}", args.articles, args.questions, args.language, args.warmup)
        )
    finally:
        server.terminate()
        server.wait(20)
    print(json.dumps(result, indent=2))
    if str(args.out) != "-":
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(result, indent=2) + "\n")
    return result


async def _run(base_url: str, articles: int, questions: int, language: str, warmup: int) -> dict[str, object]:
    from chatai_app.db import dispose_engines

    try:
        return await measure(base_url, articles=articles, questions=questions, language=language, warmup=warmup)
    finally:
        await dispose_engines()


if __name__ == "__main__":
    main()
