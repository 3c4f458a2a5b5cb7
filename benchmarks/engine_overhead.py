"""Platform overhead per message with an instant LLM, and messages per second.

    python -m benchmarks.engine_overhead [--messages 300] [--concurrency 8] [--warmup 20] [--out PATH|-]

The LLM is the local OpenAI-compatible server in its own process with no delay (real HTTP,
streamed). `p50/p99` are whole turns; `overhead_*` subtract the time spent waiting on the model
(the fake server's HTTP round trip), leaving ours: storing, idempotency, billing, retrieval (query
embedding + hybrid search on a small knowledge base), prompt assembly, the streamed call,
storing the reply with its charge, and publishing events. Each simulated user asks different questions
in turn, so repeat detection (the same question again calls a human) never takes a turn away from the AI; every
question carries its turn number, so no query vector comes from the cache of repeated questions.

The floor, measured in the same run: the bare work of one turn, i.e. one query embedding of a new question plus
as many SQL statements (`SELECT 1`) in as many transactions, through the same pool, as a turn made (counted), one
after the other. The engine starts the question's embedding with its intake (services/early_embeddings.py), so
`floor_overlapped` times the same work with the embedding running beside the statements: the bound for that design.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"
QUESTIONS = (
    "How long does delivery take?",
    "Are returns accepted after two weeks?",
    "What are your support hours?",
    "Can I send something back if it does not fit?",
    "When will my parcel arrive?",
    "Is anyone answering on weekends?",
)


def _start_llm() -> tuple[subprocess.Popen[str], str]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.fakes.openai_server", "--port", str(port), "--delay", "0"],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert process.stdout is not None and process.stdout.readline().strip() == "ready"
    return process, f"http://127.0.0.1:{port}/v1"


async def _setup() -> tuple[object, object]:
    from chatai_app.db import session_scope
    from chatai_app.services import accounts, assistants, billing, plans
    from chatai_app.services.knowledge.documents import add_document
    from chatai_app.worker import run_until_idle

    async with session_scope() as session:
        context = await accounts.sign_up(
            session=session, email=f"bench{time.time_ns()}@example.com", password="bench password"
        )
        await plans.assign_plan(session=session, tenant_id=context.tenant_id, plan_code="enterprise")
        assistant = await assistants.create_assistant(session=session, tenant_id=context.tenant_id, name="Bench")
        await billing.credit(
            session=session, tenant_id=context.tenant_id, amount=10**9, kind="topup", idempotency_key="bench"
        )
        await add_document(
            session=session,
            tenant_id=context.tenant_id,
            assistant_id=assistant.id,
            filename="faq.txt",
            data=b"# FAQ\n\nDelivery takes two days. Returns are accepted within 14 days. Support works 9 to 18.",
        )
    await run_until_idle()
    await assistants.apply_settings(
        tenant_id=context.tenant_id, assistant_id=assistant.id, changes={"provider": "openai", "model": "instant"}
    )
    return context.tenant_id, assistant.id


async def _run(
    tenant_id: object, assistant_id: object, messages: int, concurrency: int, label: str
) -> dict[str, object]:
    from chatai_app.services.conversation import Incoming, handle_incoming

    latencies: list[float] = []
    overheads: list[float] = []
    counter = iter(range(messages))

    async def user(worker: int) -> None:
        for turn, _ in enumerate(counter):  # a user never asks the same question twice in a row
            started = time.perf_counter()
            question = f"{QUESTIONS[(worker + turn) % len(QUESTIONS)]} ({label} {worker}.{turn})"
            result = await handle_incoming(
                Incoming(tenant_id, assistant_id, "api", f"{label}-user-{worker}", question)  # type: ignore[arg-type]
            )
            assert result.outcome == "answered", result.outcome
            latencies.append((time.perf_counter() - started) * 1000)
            overheads.append(result.elapsed_ms - result.llm_ms)

    started = time.perf_counter()
    await asyncio.gather(*(user(w) for w in range(concurrency)))
    elapsed = time.perf_counter() - started
    latencies.sort()
    overheads.sort()
    return {
        "overhead_p50_ms": round(statistics.median(overheads), 1),
        "overhead_p99_ms": round(overheads[int(len(overheads) * 0.99) - 1], 1),
        "messages": messages, "concurrency": concurrency, "messages_per_s": round(messages / elapsed, 1),
        "p50_ms": round(statistics.median(latencies), 1), "p99_ms": round(latencies[int(len(latencies) * 0.99) - 1], 1),
    }  # fmt: skip


class _Counter:
    """SQL statements and transactions on the app's engine."""

    def __init__(self) -> None:
        import sqlalchemy as sa

        from chatai_app.db import get_async_engine

        self.statements = self.transactions = 0
        engine = get_async_engine().sync_engine
        sa.event.listen(engine, "before_cursor_execute", self._statement)
        sa.event.listen(engine, "commit", self._transaction)
        sa.event.listen(engine, "rollback", self._transaction)

    def _statement(self, *args: object) -> None:
        self.statements += 1

    def _transaction(self, *args: object) -> None:
        self.transactions += 1


async def _floor(turns: int, statements: int, transactions: int, label: str, overlapped: bool = False
                 ) -> dict[str, float]:  # fmt: skip
    """One query embedding of a new question + `statements` trivial statements in `transactions` transactions;
    `overlapped`: the embedding runs while the statements do."""
    import sqlalchemy as sa

    from chatai_app.db import session_scope
    from chatai_app.services.knowledge.embeddings import provider_for

    provider = provider_for("")
    per = [statements // transactions + (1 if i < statements % transactions else 0) for i in range(transactions)]
    async def statements_alone() -> None:
        for count in per:
            async with session_scope() as session:
                for _ in range(count):
                    await session.exec(sa.text("SELECT 1"))

    latencies = []
    for turn in range(turns):
        started = time.perf_counter()
        embedding = provider.embed_query(f"{QUESTIONS[turn % len(QUESTIONS)]} (floor {label} {turn})")  # never cached
        if overlapped:
            await asyncio.gather(embedding, statements_alone())
        else:
            await embedding
            await statements_alone()
        latencies.append((time.perf_counter() - started) * 1000)
    latencies.sort()
    p99 = latencies[int(len(latencies) * 0.99) - 1]
    return {"p50_ms": round(statistics.median(latencies), 1), "p99_ms": round(p99, 1),
            "statements": statements, "transactions": transactions}  # fmt: skip


async def main(argv: list[str] | None = None) -> dict[str, object]:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=300)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--warmup", type=int, default=20, help="messages before measuring (model load, pools)")
    parser.add_argument("--out", type=Path, default=RESULTS / "engine_overhead.json", help="'-' to not save")
    args = parser.parse_args(argv)
    if not os.environ.get("DATABASE_URL"):
        from chatai_app.embedded_pg import start_embedded_postgres

        os.environ["DATABASE_URL"] = start_embedded_postgres(
            Path(tempfile.mkdtemp(prefix="chatai-engine-")), cleanup_mode="delete"
        )
    from chatai_app.migrations import upgrade_to_head

    upgrade_to_head(os.environ["DATABASE_URL"])
    llm, base_url = _start_llm()
    os.environ["OPENAI_BASE_URL"], os.environ["OPENAI_API_KEY"] = base_url, "bench"
    try:
        tenant_id, assistant_id = await _setup()
        counter = _Counter()  # a turn's statements and transactions, counted over the warm-up
        warmup = max(1, args.warmup)
        await _run(tenant_id, assistant_id, warmup, 1, "warmup")  # warm-up: model load, connection pools
        statements, transactions = round(counter.statements / warmup), round(counter.transactions / warmup)
        turns = max(1, args.messages // 3)
        floor_before = await _floor(turns, statements, transactions, "before")
        sequential = await _run(tenant_id, assistant_id, turns, 1, "sequential")
        floor_after = await _floor(turns, statements, transactions, "after")
        floor = min(floor_before, floor_after, key=lambda f: f["p50_ms"])  # timed before and after: the faster
        overlapped = await _floor(turns, statements, transactions, "overlapped", overlapped=True)
        report = {
            "machine": "2 cores",
            "sequential": sequential,
            "floor": floor,
            "ratio_p50_to_floor": round(sequential["overhead_p50_ms"] / floor["p50_ms"], 2),
            "floor_overlapped": overlapped,
            "ratio_p50_to_floor_overlapped": round(sequential["overhead_p50_ms"] / overlapped["p50_ms"], 2),
            "concurrent": await _run(tenant_id, assistant_id, args.messages, args.concurrency, "concurrent"),
        }
        print(json.dumps(report, indent=2))
        if str(args.out) != "-":
            args.out.write_text(json.dumps(report, indent=2) + "\n")
        return report
    finally:
        llm.kill()
        from chatai_app.db import dispose_engines

        await dispose_engines()


if __name__ == "__main__":
    asyncio.run(main())
