"""Every benchmark in benchmarks/ at its smallest size, so a benchmark that breaks fails the default suite.

Seconds each and no timing assertions: the numbers come from `python -m benchmarks.<name>` at full size (each
runs with `--out -` where the script saves by default, so the suite never overwrites the committed results).
Each runs its real CLI in its own process (as its docstring shows), on this session's database (emptied
first) instead of a new embedded PostgreSQL; the retrieval evaluation runs in process on one article per
language. The two that need `chatai run` and a browser (inbox_latency, startup) run in
tests/browser/test_benchmark_smoke.py, on the browser tests' running app.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _bench(name: str, *args: str, database_url: str, timeout_s: float = 120) -> dict:
    """Run `python -m benchmarks.<name> args`; its report, the JSON object it prints last."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "TELEGRAM_"))}
    done = subprocess.run(
        [sys.executable, "-m", f"benchmarks.{name}", *args],
        cwd=ROOT, env=env | {"DATABASE_URL": database_url}, capture_output=True, text=True, timeout=timeout_s,
    )  # fmt: skip
    assert done.returncode == 0, f"{done.stdout[-3000:]}\n{done.stderr[-5000:]}"
    start = 0 if done.stdout.startswith("{") else done.stdout.rindex("\n{\n") + 1
    return json.loads(done.stdout[start:])


def test_engine_overhead(clean_db: str) -> None:
    report = _bench(
        "engine_overhead", "--messages", "6", "--concurrency", "2", "--warmup", "1", "--out", "-", database_url=clean_db
    )
    assert (report["sequential"]["messages"], report["concurrent"]["messages"]) == (2, 6)


def test_http_answer_latency(clean_db: str) -> None:
    report = _bench(
        "http_answer_latency", "--articles", "1", "--questions", "3", "--warmup", "1", "--out", "-",
        database_url=clean_db,
    )  # fmt: skip
    assert (report["articles"], report["questions"], report["outcomes"]) == (1, 3, {"answered": 3})
    assert report["chunks"] > 0


def test_fleet_scale(clean_db: str) -> None:
    report = _bench(
        "fleet_scale", "--bots", "2", "--updates", "2", "--settle-s", "0", "--timeout-s", "60", database_url=clean_db
    )
    assert (report["bots"], report["replies_sent"], report["invalid_bot_api_calls"]) == (2, 2, 0)


def test_fleet_burst(clean_db: str) -> None:
    report = _bench(
        "fleet_burst", "--bots", "5", "--updates", "10", "--settle-s", "0", "--idle-s", "1", "--dup-window-s", "1",
        "--stall-s", "30", "--timeout-s", "90", "--out", "-", database_url=clean_db,
    )  # fmt: skip
    assert (report["bots_running"], report["answered"], report["lost"], report["duplicated"]) == (5, 10, 0, 0)
    assert report["invalid_bot_api_calls"] == 0 and report["send_chat_action_per_reply"] <= 2
    floor = _bench("fleet_burst", "--engine-only", "--updates", "4", "--out", "-", database_url=clean_db)
    assert floor["answered"] == 4 and floor["cpu_s_per_reply"]["engine"] > 0


def test_knowledge_scale(clean_db: str) -> None:
    report = _bench(
        "knowledge_scale", "--chunks", "100", "--queries", "2", "--pages", "1", "--paragraphs", "4", "--out", "-",
        database_url=clean_db,
    )  # fmt: skip
    assert report["ingestion"]["pages"] == 1 and report["search"]["chunks"] == 100
    assert set(report["search"]) >= {"hybrid", "fts", "vector"}


def test_widget_connections(clean_db: str) -> None:
    report = _bench(
        "widget_connections", "--connections", "3", "--idle-seconds", "0", "--settle-s", "0", database_url=clean_db
    )
    assert report["connections"] == 3 and report["push_to_last_visitor_ms"] > 0
    assert 0 < report["loader_gzip_bytes"] < report["loader_bytes"]  # served pre-compressed to a browser


async def test_retrieval_eval(clean_db: str) -> None:
    from benchmarks.test_retrieval_eval import run_eval

    reports = await run_eval(articles=1, questions=5)
    assert [r.language for r in reports] == ["ru", "en"] and all(r.documents == 1 and r.chunks for r in reports)
    assert all([(s.mode, s.questions) for s in r.scores] == [("hybrid", 5), ("fts", 5)] for r in reports)


def test_http_chat_load(clean_db: str) -> None:
    report = _bench(
        "http_chat_load", "--concurrency", "4", "--articles", "1", "--abuse-loops", "12", "--conversations", "4",
        "--turns", "2", "--out", "-", database_url=clean_db,
    )  # fmt: skip
    assert report["burst"]["errors"] == 0 and report["burst"]["statuses"] == {"200": 4}
    assert report["sustained"]["statuses"] == {"200": 8}  # 4 conversations x 2 timed turns (the warm-up untimed)
    assert report["widget_abuse"]["responses"]["429"] == 2  # the 11th and 12th new visitor from one address


def test_multinode_load(clean_db: str) -> None:
    report = _bench(
        "multinode_load", "--visitors", "2", "--messages", "2", "--articles", "1", "--operators", "1", "--bots", "2",
        "--updates", "2", "--out", "-", database_url=clean_db, timeout_s=300,
    )  # fmt: skip
    rounds = [report[k] for k in ("one_node", "two_nodes", "two_nodes_one_killed")]
    assert [r["answered"] for r in rounds] == [4, 4, 4] and [r["telegram"]["answered"] for r in rounds] == [2, 2, 2]
    assert report["two_nodes_one_killed"]["lost"] == 0 and all(r["operators"]["requests"] for r in rounds)


def test_report_renders_every_row() -> None:
    from benchmarks.report import ROWS, render

    table = render()
    assert table.count("\n| ") == len(ROWS) + 1 and "python -m benchmarks.http_chat_load" in table
