"""Writes BENCHMARKS.md from the committed results in benchmarks/results/ (never typed by hand).

    python -m benchmarks.report            # print the table
    python -m benchmarks.report --write    # rewrite BENCHMARKS.md

Each row names the figure, its value, the floor measured beside it where the benchmark measures one, the
target of the issue that asked for it, the result file's date and the command that reproduces it.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results"
OUTPUT = Path(__file__).resolve().parents[1] / "BENCHMARKS.md"
MACHINE = "2 cores / 24 GiB, shared by the load generator, the server and PostgreSQL"


@dataclass(frozen=True)
class Row:
    figure: str
    source: str  # result file (without .json)
    value: Callable[[Any], str]
    floor: Callable[[Any], str] | None
    target: str
    command: str


def _get(data: Any, path: str) -> Any:
    for part in path.split("."):
        data = data[int(part)] if isinstance(data, list) else data[part]
    return data


def _load(run: dict[str, Any]) -> str:
    return f"{run['messages_per_s']} msg/s, p50 {run['p50_ms']} / p99 {run['p99_ms']} ms"


def _mixed(run: dict[str, Any]) -> str:
    """Widget visitors, open inboxes and Telegram updates of one multinode_load round."""
    refused = run["lost"] if run["nodes"] == 1 else 0
    widget = f"widget {_load(run)}" + (f", {refused} refused" if refused else "")
    inbox, tg = run.get("operators"), run.get("telegram")
    if not inbox or not tg:
        return widget
    return (
        f"{widget}; inbox p50 {inbox['p50_ms']} / p95 {inbox['p95_ms']} ms; "
        f"Telegram {tg['answered']}/{tg['updates']} answered, {tg['duplicated']} duplicated, "
        f"p50 {tg['p50_s']} / p95 {tg['p95_s']} s"
    )


def _before_warm() -> str:
    before = json.loads((RESULTS / "startup_before.json").read_text())
    return (f"{before['warm_restart_s']} s warm, {before['cold_start_s']} s cold "
            f"(load average {before['load_average_before']:.0f})")


def _overlapped(data: dict[str, Any]) -> str:
    if "floor_overlapped" not in data:
        return ""
    floor = data["floor_overlapped"]
    return (f"; the same with the embedding beside the statements (as the engine does): p50 {floor['p50_ms']} ms, "
            f"ours {data['ratio_p50_to_floor_overlapped']}× that")  # fmt: skip


# The fleet's runs shown (fleet_burst.json keeps every labelled run): the latest burst and the engine alone beside it.
FLEET_RUN, FLEET_FLOOR = "after_issue16_stop26", "engine_floor_issue16_stop26"


def _rss_floor(run: dict[str, Any]) -> str:
    if "rss_floor_mib" not in run:
        return ""
    return f"; the fleet's code and the model with no bot: RSS {run['rss_floor_mib']} MiB"


def _fake_capacity(data: dict[str, Any]) -> str:
    """The fake Bot API's own capacity (fleet_burst --measure-fake), so it is seen not to be the limit."""
    fake = data["runs"].get("fake_bot_api")
    return f"; the fake Bot API alone answers {fake['get_updates_per_s']} getUpdates/s" if fake else ""


def _fleet(data: dict[str, Any]) -> dict[str, Any]:
    return data["runs"][FLEET_RUN]


def _fresh_frontend_cold() -> str:
    path = RESULTS / "startup_fresh_frontend.json"
    return f"{json.loads(path.read_text())['cold_start_s']} s" if path.exists() else "not measured"


def _measured_on(path: Path) -> str:
    """The day the result was committed (a clone's file times say nothing), else the file's own time."""
    done = subprocess.run(["git", "log", "-1", "--format=%cs", "--", str(path)], capture_output=True, text=True,
                          cwd=path.parent)  # fmt: skip
    return done.stdout.strip() or time.strftime("%Y-%m-%d", time.gmtime(path.stat().st_mtime))


ROWS = [
    Row("Engine overhead per message, one conversation (p50 / p99)", "engine_overhead",
        lambda d: f"{_get(d, 'sequential.overhead_p50_ms')} / {_get(d, 'sequential.overhead_p99_ms')} ms",
        lambda d: (f"one query embedding + {d['floor']['statements']} statements in {d['floor']['transactions']} "
                   f"transactions: p50 {d['floor']['p50_ms']} / p99 {d['floor']['p99_ms']} ms; "
                   f"ours {d['ratio_p50_to_floor']}× that" + _overlapped(d)) if "floor" in d else "—",
        "p50 ≤ 25 ms, p99 ≤ 60 ms", "python -m benchmarks.engine_overhead"),
    Row("Offline answer through the HTTP chat API, 24 XQuAD articles (p50 / p95)", "http_answer_latency",
        lambda d: f"{d['p50_ms']} / {d['p95_ms']} ms",
        lambda d: f"answer generation p50 {d['answer_generation_p50_ms']} ms",
        "p50 ≤ 100 ms", "python -m benchmarks.http_answer_latency"),
    Row("200 concurrent chats through `POST /api/v1/assistants/{id}/chat`", "http_chat_load",
        lambda d: (f"{d['burst']['errors']} errors, {d['burst']['messages_per_s']} msg/s, "
                   f"p50 {d['burst']['p50_ms']} / p99 {d['burst']['p99_ms']} ms"),
        None, "0 errors (503 + Retry-After when full)", "python -m benchmarks.http_chat_load"),
    Row("64 concurrent conversations through `POST /api/v1/assistants/{id}/chat`", "http_chat_sustained",
        lambda d: (f"{d['sustained']['errors']} errors, {d['sustained']['messages_per_s']} msg/s, "
                   f"p50 {d['sustained']['p50_ms']} / p99 {d['sustained']['p99_ms']} ms "
                   f"({d['sustained']['turns']} timed turns each, after "
                   f"{d['sustained'].get('warmup_turns', 0)} untimed)"),
        lambda d: (f"the model alone embeds {d['embedder_alone']['questions_per_s']} questions/s (batches of "
                   f"{d['embedder_alone']['batch']}); ours {d['sustained']['ratio_to_embedder']:.0%} of it"),
        "≥ 100 msg/s, 0 errors, p99 ≤ 1 s, ≥ 70% of the model's rate",
        "python -m benchmarks.http_chat_load --sustained-only"),
    Row("Widget abuse: 30 × (new visitor + 2 messages) from one address", "http_chat_load",
        lambda d: (f"{d['widget_abuse']['responses']} → charged {d['widget_abuse']['charged_minor'] / 100:.2f} ₽ "
                   f"for {d['widget_abuse']['answered']} answers"),
        None, "429s, no charge beyond the limits", "python -m benchmarks.http_chat_load"),
    Row("Hybrid search at 100k chunks, without the query embedding (p50 / p95; hit@5)", "knowledge_scale",
        lambda d: (f"{d['search']['hybrid']['p50_ms']} / {d['search']['hybrid']['p95_ms']} ms; "
                   f"hit@5 {d['search']['hybrid_hit_at_5']}"),
        lambda d: (f"HNSW query alone {d['search']['hnsw_alone']['p50_ms']} ms + GIN match alone "
                   f"{d['search']['gin_alone']['p50_ms']} ms (p50); ours {d['search']['ratio_p50_to_floor']}× that"),
        "p50 ≤ 30 ms, p95 ≤ 80 ms", "python -m benchmarks.knowledge_scale"),
    Row("Ingestion of a 30-page PDF", "knowledge_scale",
        lambda d: f"{d['ingestion']['pages_per_s']} pages/s, {d['ingestion']['chunks_per_s']} chunks/s",
        lambda d: (f"embedder alone {d['ingestion']['embedder_chunks_per_s']} chunks/s on the same chunks; "
                   f"ours {d['ingestion']['ratio_to_embedder']:.0%} of it"),
        "≥ 80% of the embedder's own chunks/s", "python -m benchmarks.knowledge_scale"),
    Row("Visitor send → operator's screen, 100 operator connections: 1 Chromium page + 99 socket.io clients "
        "(p50 / p95)", "inbox_latency",
        lambda d: (f"{d['p50_ms']} / {d['p95_ms']} ms (drawn in Chromium {d['drawn_in_chromium']['p50_ms']} / "
                   f"{d['drawn_in_chromium']['p95_ms']} ms), {d['never_delivered']} never delivered"),
        lambda d: (f"websocket event round trip on the same server p50 {d['floor_websocket_round_trip']['p50_ms']} / "
                   f"p95 {d['floor_websocket_round_trip']['p95_ms']} ms; the engine until the dialog waits p50 "
                   f"{d['floor_engine_until_waiting']['p50_ms']} ms (pushing to all 100 adds the rest)"),
        "p50 ≤ 150 ms, p95 ≤ 400 ms (100 connections)", "python -m benchmarks.inbox_latency --write"),
    Row("Same, before issue 16's live-inbox changes (same benchmark)", "inbox_latency_before_100",
        lambda d: f"{d['p50_ms']} / {d['p95_ms']} ms, {d['never_delivered']} never delivered",
        lambda d: f"websocket event round trip p50 {d['floor_websocket_round_trip']['p50_ms']} ms",
        "—", "python -m benchmarks.inbox_latency (at commit 7b9c4f9~1)"),
    Row("Warm restart of `chatai run` to the first page (sources unchanged)", "startup",
        lambda d: (f"{d['warm_restart_s']} s (median {d['warm_restart_median_s']} s; load average "
                   f"{d['load_average_before']:.0f} on the 2 cores)"),
        lambda d: "before issue 16 (rebuild on every start): " + _before_warm(),
        "≤ 5 s", "python -m benchmarks.startup --write"),
    Row("Cold start of `chatai run` (new data directory) to the first page", "startup",
        lambda d: f"{d['cold_start_s']} s with the frontend built, {_fresh_frontend_cold()} without (a fresh clone)",
        None, "≤ 15 s", "python -m benchmarks.startup [--fresh-frontend] --write"),
    Row("Mixed load, 1 node + 1 fleet (32 widget visitors × 4 messages, 8 open inboxes, 60 Telegram updates at 4/s)",
        "multinode_load", lambda d: _mixed(d["one_node"]), None, "—", "python -m benchmarks.multinode_load"),
    Row("Mixed load, 2 nodes + 2 fleets (same load)", "multinode_load",
        lambda d: _mixed(d["two_nodes"]), None, "—", "python -m benchmarks.multinode_load"),
    Row("Mixed load, 2 nodes + 2 fleets, one node killed mid-run", "multinode_load",
        lambda d: (f"{d['two_nodes_one_killed']['failed_first_tries']} first tries failed, "
                   f"{d['two_nodes_one_killed']['lost']} lost; {_mixed(d['two_nodes_one_killed'])}"),
        None, "nothing lost", "python -m benchmarks.multinode_load"),
    Row("Telegram: 2,000 updates over 1,000 bots in one fleet", "fleet_burst",
        lambda d: (f"{_fleet(d)['replies_per_s']} replies/s, {_fleet(d)['lost']} lost, "
                   f"{_fleet(d)['duplicated']} duplicated, RSS {_fleet(d)['fleet_rss_mib']} MiB, "
                   f"{_fleet(d)['cpu_s_per_reply']['fleet']} CPU s a reply; earlier paced run: p95 "
                   f"{d['summary']['p95_s_at_5_per_s']} s at 5 updates/s, idle {d['summary']['idle_cores']} core"),
        lambda d: (f"engine alone {d['runs'][FLEET_FLOOR]['replies_per_s']} replies/s "
                   f"({d['runs'][FLEET_FLOOR]['cpu_s_per_reply']['engine']} CPU s a reply)" + _rss_floor(_fleet(d))
                   + _fake_capacity(d)),
        "≥ 50 replies/s (issue 19), ≥ 100 updates/s (issue 16)",
        f"python -m benchmarks.fleet_burst --label {FLEET_RUN}; ... --engine-only --updates 600 --label {FLEET_FLOOR}"),
    Row("Idle widget connection memory (1,000 SSE connections)", "widget_connections",
        lambda d: f"{d['kib_per_connection']} KiB each; push to the 1,000th visitor {d['push_to_last_visitor_ms']} ms",
        None, "—", "python -m benchmarks.widget_connections --connections 1000 --write"),
    Row("Widget loader `/widget.js` (on every page of a tenant's site), bytes on the wire", "widget_connections",
        lambda d: f"{d['loader_gzip_bytes'] / 1024:.1f} KiB gzipped ({d['loader_bytes'] / 1024:.1f} KiB uncompressed)",
        None, "—", "python -m benchmarks.widget_connections --connections 1000 --write"),
    Row("Answer quality (offline answerer, XQuAD dev halves)", "answer_quality",
        lambda d: "; ".join(
            f"{r['language']}: gold in {r['answerable']['contains_answer']:.1%} of answerable, "
            f"{r['unanswerable']['confident']:.1%} confident on unanswerable, hit@1 {r['retrieval']['hit@1']}, "
            f"{r['answerable']['mean_reply_chars']:.0f} chars"
            for r in d["results"]),
        None,
        "≤ 10% confident unanswerable, ≥ 88% gold in answerable, ≤ 350 chars", "python -m benchmarks.answer_quality"),
    Row("Provider key pool bookkeeping per turn, 3 keys with every limit (p50 / p99)", "key_pool_overhead",
        lambda d: (f"{d['bookkeeping']['pool']['p50_ms']} / {d['bookkeeping']['pool']['p99_ms']} ms; whole turn p50 "
                   f"{d['turns']['pool']['p50_ms']} ms"),
        lambda d: (f"settings key lookup {d['bookkeeping']['settings']['p50_ms']} ms; whole turn p50 "
                   f"{d['turns']['settings']['p50_ms']} ms"),
        "—", "python -m benchmarks.key_pool_overhead"),
]  # fmt: skip


def _cell(row: Row) -> list[str]:
    path = RESULTS / f"{row.source}.json"
    if not path.exists():
        return [row.figure, "not measured yet", "—", row.target, "—", f"`{row.command}`"]
    data = json.loads(path.read_text())
    try:
        value = row.value(data)
        floor = row.floor(data) if row.floor else "—"
    except (KeyError, IndexError, TypeError) as exc:
        value, floor = f"(result file lacks {exc})", "—"
    dated = _measured_on(path)
    return [row.figure, value, floor, row.target, dated, f"`{row.command}`"]


def render() -> str:
    lines = [
        "# Benchmarks",
        "",
        f"Written by `python -m benchmarks.report --write` from `benchmarks/results/*.json`. Machine: {MACHINE}.",
        "Each figure is rerun with its command; the raw result file holds every number it measured.",
        "",
        "| figure | value | floor measured beside it | target | date | command |",
        "|---|---|---|---|---|---|",
    ]
    lines += ["| " + " | ".join(cell.replace("|", "\\|") for cell in _cell(row)) + " |" for row in ROWS]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> str:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="rewrite BENCHMARKS.md")
    args = parser.parse_args(argv)
    table = render()
    if args.write:
        OUTPUT.write_text(table)
    print(table)
    return table


if __name__ == "__main__":
    main()
