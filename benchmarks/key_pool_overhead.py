"""What the provider key pool adds to a turn. `bookkeeping`: the key choice and the usage record of one turn timed
alone (lease + record_success, each its own transaction) with a platform pool of three keys whose every limit is set
(today's and this month's usage read, requests per minute counted in PostgreSQL, a request reserved, tokens recorded),
beside the settings key's lookup (no pool: one query). `turns`: the same engine run (whole turns, p50) with the
settings key (OPENAI_API_KEY), with the pool, and with a pool of three keys without limits.

    python -m benchmarks.key_pool_overhead [--messages 120] [--rounds 2]

The LLM is the local OpenAI-compatible server with no delay (see benchmarks/engine_overhead.py); rounds alternate
the two modes so a noisy neighbour on the machine hits both alike. Results: benchmarks/results/key_pool_overhead.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import tempfile
import time
from pathlib import Path

from benchmarks.engine_overhead import _run, _setup, _start_llm

RESULT = Path(__file__).resolve().parent / "results" / "key_pool_overhead.json"
LIMITS = {"requests_per_minute": 100_000, "daily_request_limit": 10**6, "daily_token_limit": 10**9,
          "monthly_token_limit": 10**10}  # fmt: skip
MODES = ("settings", "pool", "pool_no_limits")


async def _pool(base_url: str, mode: str) -> None:
    """No pool ('settings'), or three platform keys with every limit set ('pool') or none ('pool_no_limits')."""
    from chatai_app.db import session_scope
    from chatai_app.services import provider_keys

    async with session_scope() as session:
        for key in await provider_keys.list_keys(session=session, tenant_id=None):
            await provider_keys.delete_key(session=session, tenant_id=None, key_id=key.id)
        for n in range(3 if mode != "settings" else 0):
            await provider_keys.add_key(session=session, tenant_id=None, api_key=f"sk-bench-pool-{n:04}",
                                        base_url=base_url, models=["instant"], priority=n,
                                        **(LIMITS if mode == "pool" else {}))  # fmt: skip


async def _bookkeeping(tenant_id: object, n: int) -> dict[str, float]:
    from chatai_app.db import session_scope
    from chatai_app.services import key_pool
    from chatai_app.services.llm import Completion

    done = Completion("answer", 42, 8, "instant")
    times: list[float] = []
    for _ in range(n):
        started = time.perf_counter()
        async with session_scope() as session:
            picked = await key_pool.lease(session=session, tenant_id=tenant_id, model="instant")  # type: ignore[arg-type]
        if picked.key_id is not None:
            async with session_scope() as session:
                await key_pool.record_success(session=session, key_id=picked.key_id, completion=done)
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return {"p50_ms": round(statistics.median(times), 2), "p99_ms": round(times[int(len(times) * 0.99) - 1], 2)}


def _median(runs: list[dict[str, object]], field: str) -> float:
    return round(statistics.median(float(run[field]) for run in runs), 2)  # type: ignore[arg-type]


async def main(argv: list[str] | None = None) -> dict[str, object]:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=120)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args(argv)
    if not os.environ.get("DATABASE_URL"):
        from chatai_app.embedded_pg import start_embedded_postgres

        os.environ["DATABASE_URL"] = start_embedded_postgres(
            Path(tempfile.mkdtemp(prefix="chatai-keypool-")), cleanup_mode="delete"
        )
    from chatai_app.migrations import upgrade_to_head

    upgrade_to_head(os.environ["DATABASE_URL"])
    llm, base_url = _start_llm()
    os.environ["OPENAI_BASE_URL"], os.environ["OPENAI_API_KEY"] = base_url, "bench"
    runs: dict[str, list[dict[str, object]]] = {mode: [] for mode in MODES}
    bookkeeping: dict[str, list[dict[str, float]]] = {mode: [] for mode in MODES}
    try:
        tenant_id, assistant_id = await _setup()
        await _run(tenant_id, assistant_id, 20, 1, "warmup")
        for round_ in range(args.rounds):
            for mode in MODES:
                await _pool(base_url, mode)
                bookkeeping[mode].append(await _bookkeeping(tenant_id, args.messages))
                runs[mode].append(await _run(tenant_id, assistant_id, args.messages, 1, f"{mode}-{round_}"))
    finally:
        llm.kill()
        from chatai_app.db import dispose_engines

        await dispose_engines()
    report: dict[str, object] = {
        "bookkeeping": {
            mode: {field: _median(results, field) for field in ("p50_ms", "p99_ms")}  # type: ignore[arg-type]
            for mode, results in bookkeeping.items()
        },
        "turns": {
            mode: {field: _median(results, field) for field in ("p50_ms", "p99_ms", "messages_per_s")}
            for mode, results in runs.items()
        },
        "settings_used": {"messages": args.messages, "rounds": args.rounds},
    }
    RESULT.write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2))
    return report


if __name__ == "__main__":
    asyncio.run(main())
