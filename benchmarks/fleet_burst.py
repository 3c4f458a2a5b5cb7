"""A burst on a large bot fleet: N bots in one fleet process, M updates at once spread over all of them.

    python -m benchmarks.fleet_burst [--bots 1000] [--updates 2000] [--provider openai|offline] [--label after]
    python -m benchmarks.fleet_burst --bots 5 --updates 10 --idle-s 2 --out -       # seconds: the smoke size
    python -m benchmarks.fleet_burst --rate 10 --label paced                         # offered at 10 updates/s
    python -m benchmarks.fleet_burst --engine-only --updates 600 --label engine_floor  # the engine alone
    python -m benchmarks.fleet_burst --measure-fake                                  # the fake Bot API alone

Real parts: PostgreSQL (DATABASE_URL, or an embedded one in a temporary directory), the `bot_fleet` process
(aiogram, long polling), the conversation engine with retrieval (query embedding + hybrid search). Fakes at
the external transports, each in its own process: the Telegram Bot API (tests/fakes/telegram_server.py, every
call checked against the Bot API spec, long polls held up to 50 s like Telegram) and, with `--provider
openai`, an instant OpenAI-compatible LLM (streamed).

Every update is a new chat, so each must get exactly one reply: `lost` counts updates with none when the run
ends (all answered, or nothing sent for --stall-s), `duplicated` chats that got more than one. Latency is from
the moment the fake made the update available to getUpdates to the moment it accepted the reply's
sendMessage (both clocks in the fake). Idle cost is measured before the burst, with every bot running:
the fleet's CPU and the database's transactions per second. CPU is also counted per reply for each process
(fleet, PostgreSQL, fake Bot API, fake LLM), as the machine may be shared and wall-clock rates vary with it.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import psutil
import psycopg

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "fleet_burst.json"
FAQ = (
    b"# FAQ\n\nDelivery takes two days. Returns are accepted within 14 days.\n\n"
    b"Parcels arrive within two days of the order. Anything can be sent back unused."
)
QUESTIONS = (
    "How long does delivery take?",
    "Are returns accepted after two weeks?",
    "When will my parcel arrive?",
    "Can I send something back?",
)


def _spawn(args: list[str], env: dict[str, str] | None = None, log: Path | None = None) -> subprocess.Popen[str]:
    stderr = log.open("w") if log else subprocess.DEVNULL
    return subprocess.Popen(args, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=stderr, text=True)


# The floor of the fleet's memory: a process with the fleet's code imported and the embedding model loaded, no bot.
_RSS_FLOOR = """
import asyncio, psutil
import bot_fleet.__main__
from chatai_app.services.knowledge.embeddings import provider_for
asyncio.run(provider_for("").embed_query("How long does delivery take?"))
print(psutil.Process().memory_info().rss / 2**20)
"""


def _rss_floor_mib() -> float:
    done = subprocess.run([sys.executable, "-c", _RSS_FLOOR], cwd=ROOT, capture_output=True, text=True, check=True)
    return round(float(done.stdout.strip().splitlines()[-1]), 1)


def _cpu_each(pids: list[int]) -> dict[int, float]:
    seconds = {}
    for pid in pids:
        try:
            times = psutil.Process(pid).cpu_times()
        except psutil.NoSuchProcess:
            continue
        seconds[pid] = times.user + times.system
    return seconds


def _cpu(pids: list[int]) -> float:
    return sum(_cpu_each(pids).values())


def _cpu_since(before: dict[int, float], pids: list[int]) -> float:
    """CPU used since `before` by these processes (one started since then counts from zero)."""
    return sum(seconds - before.get(pid, 0.0) for pid, seconds in _cpu_each(pids).items())


def _postgres_pids(url: str) -> list[int]:
    """The local server's postmaster and its backends (empty when the server is elsewhere)."""
    try:
        with psycopg.connect(url) as conn:
            data_dir = conn.execute("SHOW data_directory").fetchone()[0]
        postmaster = psutil.Process(int((Path(data_dir) / "postmaster.pid").read_text().split()[0]))
        return [postmaster.pid, *(child.pid for child in postmaster.children(recursive=True))]
    except (OSError, psutil.Error, psycopg.Error, ValueError):
        return []


def _transactions(url: str) -> int:
    with psycopg.connect(url) as conn:
        return conn.execute(
            "SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = current_database()"
        ).fetchone()[0]


def _statuses(url: str) -> dict[str, int]:
    with psycopg.connect(url) as conn:
        rows = conn.execute("SELECT status, count(*) FROM bot_instances GROUP BY status").fetchall()
    return {status: n for status, n in rows}


async def _workspace(provider: str) -> tuple[object, object]:
    from chatai_app.db import session_scope
    from chatai_app.services import accounts, assistants, billing, plans
    from chatai_app.services.knowledge.documents import add_document
    from chatai_app.worker import run_until_idle

    async with session_scope() as session:
        context = await accounts.sign_up(session=session, email="burst@example.com", password="burst password 1")
        await plans.assign_plan(session=session, tenant_id=context.tenant_id, plan_code="enterprise")
        assistant = await assistants.create_assistant(session=session, tenant_id=context.tenant_id, name="Burst")
        await billing.credit(
            session=session, tenant_id=context.tenant_id, amount=10**9, kind="topup", idempotency_key="burst"
        )
        await add_document(session=session, tenant_id=context.tenant_id, assistant_id=assistant.id, filename="faq.txt",
                           data=FAQ)  # fmt: skip
    await run_until_idle()
    if provider == "openai":
        await assistants.apply_settings(
            tenant_id=context.tenant_id, assistant_id=assistant.id, changes={"provider": "openai", "model": "instant"}
        )
    return context.tenant_id, assistant.id


async def _connect_bots(control: httpx.AsyncClient, tenant_id: object, assistant_id: object, n: int) -> list[str]:
    from chatai_app.services.telegram import connect_bot

    tokens = []
    for i in range(n):
        added = await control.post("/_control/add_bot", data={"id": 10_000_000 + i, "username": f"b{i}_bot"})
        tokens.append(added.json()["token"])
    semaphore = asyncio.Semaphore(16)

    async def one(token: str) -> None:
        async with semaphore:
            await connect_bot(tenant_id=tenant_id, assistant_id=assistant_id, token=token)  # type: ignore[arg-type]

    await asyncio.gather(*(one(t) for t in tokens))
    return tokens


def _log_errors(log: Path) -> int:
    lines = log.read_text(errors="replace").splitlines()
    return sum(1 for line in lines if " ERROR " in line or line.startswith("Traceback"))


def _percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _tally(sent: dict[str, Any], pushes: dict[tuple[str, int], int], began_wall: float) -> dict[str, Any]:
    """Replies per pushed update (each in its own chat), latencies, lost and duplicated."""
    replies: dict[tuple[str, int], list[float]] = {}
    for token, bot in sent.items():
        for chat_id, at, _text in bot["sent"]:
            key = (token, int(chat_id))
            if key in pushes:
                replies.setdefault(key, []).append(at)
    latencies, last = [], began_wall
    for (token, chat_id), update_id in pushes.items():
        times = replies.get((token, chat_id))
        if times:
            pushed = sent[token]["pushed"].get(str(update_id), began_wall)
            latencies.append(min(times) - pushed)
            last = max(last, min(times))
    answered = len(latencies)
    return {
        "answered": answered,
        "lost": len(pushes) - answered,
        "duplicated": sum(1 for times in replies.values() if len(times) > 1),
        "extra_messages": sum(len(times) - 1 for times in replies.values() if len(times) > 1),
        "p50_s": round(_percentile(latencies, 0.5), 2),
        "p95_s": round(_percentile(latencies, 0.95), 2),
        "max_s": round(max(latencies, default=0.0), 2),
        "mean_s": round(statistics.fmean(latencies), 2) if latencies else 0.0,
        "span_s": round(last - began_wall, 2),
    }


async def _measure_fake(concurrency: int = 64, duration_s: float = 5.0) -> dict[str, Any]:
    """getUpdates per second the fake Bot API answers (timeout=0, keep-alive), and its CPU per call."""
    import aiohttp

    telegram = _spawn([sys.executable, "-m", "tests.fakes.telegram_server", "--no-call-log"])
    url = telegram.stdout.readline().strip()  # type: ignore[union-attr]
    try:
        async with aiohttp.ClientSession() as session:
            tokens = []
            for i in range(concurrency):
                added = await session.post(f"{url}/_control/add_bot", data={"id": str(20_000_000 + i),
                                                                             "username": f"l{i}_bot"})  # fmt: skip
                tokens.append((await added.json())["token"])
            calls, stop = 0, time.monotonic() + duration_s

            async def poll(token: str) -> None:
                nonlocal calls
                while time.monotonic() < stop:
                    answer = await session.post(f"{url}/bot{token}/getUpdates",
                                                data={"timeout": "0", "allowed_updates": '["message"]'})  # fmt: skip
                    await answer.read()
                    calls += 1

            cpu_before, began = _cpu([telegram.pid]), time.monotonic()
            await asyncio.gather(*(poll(t) for t in tokens))
            elapsed, cpu = time.monotonic() - began, _cpu([telegram.pid]) - cpu_before
    finally:
        telegram.terminate()
        telegram.wait(10)
    return {
        "get_updates_per_s": round(calls / elapsed),
        "fake_cpu_us_per_call": round(cpu / calls * 1e6),
        "fake_calls_per_cpu_s": round(calls / cpu) if cpu else None,
        "concurrent_clients": concurrency,
        "note": "load generator in this process, on the same cores; the CPU per call is what the fake costs",
    }


async def run(args: argparse.Namespace) -> dict[str, Any]:
    from chatai_app.embedded_pg import start_embedded_postgres
    from chatai_app.migrations import upgrade_to_head
    from chatai_app.settings import get_settings
    from tests.browser.conftest import _free_port

    if not os.environ.get("DATABASE_URL"):
        os.environ["DATABASE_URL"] = start_embedded_postgres(
            Path(tempfile.mkdtemp(prefix="chatai-burst-")), cleanup_mode="delete"
        )
    url = os.environ["DATABASE_URL"]
    upgrade_to_head(url)
    workdir = Path(tempfile.mkdtemp(prefix="chatai-burst-logs-"))
    telegram = _spawn([sys.executable, "-m", "tests.fakes.telegram_server", "--max-poll-s", str(args.max_poll_s),
                       "--no-call-log"])  # fmt: skip
    telegram_url = telegram.stdout.readline().strip()  # type: ignore[union-attr]
    llm = None
    os.environ.update(TELEGRAM_API_URL=telegram_url)
    if args.provider == "openai":
        llm_port = _free_port()
        llm = _spawn([sys.executable, "-m", "tests.fakes.openai_server", "--port", str(llm_port), "--delay", "0"])
        llm.stdout.readline()  # type: ignore[union-attr]
        os.environ.update(OPENAI_BASE_URL=f"http://127.0.0.1:{llm_port}/v1", OPENAI_API_KEY="x")
    get_settings.cache_clear()
    fleet = None
    fleet_log = workdir / "fleet.log"
    try:
        async with httpx.AsyncClient(base_url=telegram_url, timeout=60) as control:
            tenant_id, assistant_id = await _workspace(args.provider)
            tokens = await _connect_bots(control, tenant_id, assistant_id, args.bots)
            started = time.monotonic()
            profile = {"CHATAI_FLEET_PROFILE": str(ROOT / args.profile)} if args.profile else {}
            fleet = _spawn([sys.executable, "-m", "bot_fleet"], env=dict(os.environ, **profile), log=fleet_log)
            while _statuses(url).get("running", 0) < args.bots and time.monotonic() - started < args.timeout_s:  # noqa: ASYNC110 - another process
                await asyncio.sleep(0.5)
            all_running_s = time.monotonic() - started
            # One reply first: the embedding model loads on the first question, not during the burst.
            await control.post("/_control/push", data={"token": tokens[0], "chat_id": 999, "text": QUESTIONS[0]})
            while (await control.get("/_control/stats")).json()["sent"] < 1:  # noqa: ASYNC110 - another process
                await asyncio.sleep(0.2)
            await asyncio.sleep(args.settle_s)

            fakes = [telegram.pid, *([llm.pid] if llm else [])]
            idle_cpu, idle_tx, idle_began = _cpu([fleet.pid]), _transactions(url), time.monotonic()
            await asyncio.sleep(args.idle_s)
            idle_elapsed = time.monotonic() - idle_began
            idle = {
                "fleet_cpu_cores": round((_cpu([fleet.pid]) - idle_cpu) / idle_elapsed, 3),
                "db_transactions_per_s": round(max(0, _transactions(url) - idle_tx - 1) / idle_elapsed, 1),
                "window_s": round(idle_elapsed, 1),
            }
            rss = psutil.Process(fleet.pid).memory_info().rss / 2**20
            calls_before = (await control.get("/_control/stats")).json()["calls"]

            pushes: dict[tuple[str, int], int] = {}
            items = []
            for i in range(args.updates):
                token, chat_id = tokens[i % len(tokens)], 1_000_000 + i
                items.append([token, chat_id, f"{QUESTIONS[i % len(QUESTIONS)]} (order {i})"])
            cpu_before = {"fleet": _cpu_each([fleet.pid]), "postgres": _cpu_each(_postgres_pids(url)),
                          "fakes": _cpu_each(fakes)}  # fmt: skip
            if args.profile:
                fleet.send_signal(signal.SIGUSR1)  # the fleet profiles its loop thread from here to the next one
            began_wall, began = time.time(), time.monotonic()
            # All at once (--rate 0), or paced: a slice every 0.1 s, so latency shows the service, not the queue.
            step = max(1, len(items)) if args.rate <= 0 else max(1, round(args.rate / 10))
            for n in range(0, len(items), step):
                chunk = items[n : n + step]
                pushed = (await control.post("/_control/push_many", data={"items": json.dumps(chunk)})).json()
                for (token, chat_id, _), update_id in zip(chunk, pushed["update_ids"], strict=True):
                    pushes[(token, chat_id)] = update_id
                if args.rate > 0:
                    await asyncio.sleep(max(0.0, began + (n + step) / args.rate - time.monotonic()))
            sent_seen, progress_at = 0, time.monotonic()
            while True:
                await asyncio.sleep(0.25)
                stats = (await control.get("/_control/stats")).json()
                if stats["sent"] != sent_seen:
                    sent_seen, progress_at = stats["sent"], time.monotonic()
                if sent_seen >= args.updates or time.monotonic() - progress_at > args.stall_s:
                    break
                if time.monotonic() - began > args.timeout_s:
                    break
            burst_cpu = {"fleet": _cpu_since(cpu_before["fleet"], [fleet.pid]),
                         "postgres": _cpu_since(cpu_before["postgres"], _postgres_pids(url)),
                         "fakes": _cpu_since(cpu_before["fakes"], fakes)}  # fmt: skip
            if args.profile:
                fleet.send_signal(signal.SIGUSR1)
            await asyncio.sleep(args.dup_window_s)  # a late duplicate would show up here
            sent = (await control.get("/_control/sent")).json()
            stats = (await control.get("/_control/stats")).json()
            tally = _tally(sent, pushes, began_wall)
            calls = {m: n - calls_before.get(m, 0) for m, n in stats["calls"].items()}
            answered = max(tally["answered"], 1)
            report: dict[str, Any] = {
                "bots": args.bots,
                "updates": args.updates,
                "offered_per_s": args.rate or "all at once",
                "provider": args.provider,
                "bots_running": _statuses(url).get("running", 0),
                "all_running_s": round(all_running_s, 1),
                "replies_per_s": round(tally["answered"] / tally["span_s"], 1) if tally["span_s"] else 0.0,
                **tally,
                "fleet_rss_mib": round(rss, 1),
                "rss_floor_mib": _rss_floor_mib(),
                "idle": idle,
                "cpu_s_per_reply": {k: round(seconds / answered, 4) for k, seconds in burst_cpu.items()},
                "send_chat_action_per_reply": round(calls.get("sendChatAction", 0) / answered, 2),
                "get_updates_calls": calls.get("getUpdates", 0),
                "invalid_bot_api_calls": stats["invalid"],
                "bot_statuses_after": _statuses(url),
                "fleet_log_errors": _log_errors(fleet_log),
            }
            if args.profile:
                report["profile"] = _profile_parts(ROOT / args.profile, tally["answered"])
    finally:
        for process in (fleet, telegram, llm):
            if process is not None:
                process.terminate()
                try:
                    process.wait(30)
                except subprocess.TimeoutExpired:
                    process.kill()
        from chatai_app.db import dispose_engines

        await dispose_engines()
    return report


def _profile_parts(path: Path, answered: int) -> dict[str, Any]:
    """A profile of the burst (the fleet's event loop thread, bot_fleet/__main__.py; or the engine's, --engine-only):
    CPU time per reply of that thread, and its own time (not its callees') by package. Cumulative times are left
    out: cProfile counts a coroutine again on every resumption, so they add up to more than the whole."""
    import pstats

    for _ in range(100):
        if path.exists():
            break
        time.sleep(0.1)
    stats = pstats.Stats(str(path)).stats  # type: ignore[attr-defined]
    total = sum(tt for _, _, tt, _, _ in stats.values())
    per = max(answered, 1)
    by_package: dict[str, float] = {}
    for (file, _, _), (_, _, tt, _, _) in stats.items():
        key = next((p for p in ("chatai_app", "bot_fleet", "aiogram", "pydantic", "aiohttp", "sqlalchemy", "psycopg",
                                "openai", "httpx", "httpcore", "numpy", "asyncio") if f"/{p}/" in file),
                   "builtins (C calls)" if file == "~" else "other")  # fmt: skip
        by_package[key] = by_package.get(key, 0.0) + tt
    ordered = sorted(by_package.items(), key=lambda kv: -kv[1])
    return {
        "loop_thread_cpu_s_per_reply": round(total / per, 4),
        "own_cpu_s_per_reply_by_package": {k: round(v / per, 4) for k, v in ordered},
    }


async def engine_floor(args: argparse.Namespace) -> dict[str, Any]:
    """The floor: the same questions through the conversation engine alone (no Telegram, no fleet), with as many
    turns at once as the fleet's handlers; CPU per reply of this process, PostgreSQL and the fake LLM."""
    from bot_fleet.work import Capacity
    from chatai_app.embedded_pg import start_embedded_postgres
    from chatai_app.migrations import upgrade_to_head
    from chatai_app.services.conversation import Incoming, handle_incoming
    from chatai_app.settings import get_settings
    from tests.browser.conftest import _free_port

    if not os.environ.get("DATABASE_URL"):
        os.environ["DATABASE_URL"] = start_embedded_postgres(
            Path(tempfile.mkdtemp(prefix="chatai-burst-")), cleanup_mode="delete"
        )
    url = os.environ["DATABASE_URL"]
    upgrade_to_head(url)
    llm = None
    if args.provider == "openai":
        llm_port = _free_port()
        llm = _spawn([sys.executable, "-m", "tests.fakes.openai_server", "--port", str(llm_port), "--delay", "0"])
        llm.stdout.readline()  # type: ignore[union-attr]
        os.environ.update(OPENAI_BASE_URL=f"http://127.0.0.1:{llm_port}/v1", OPENAI_API_KEY="x")
    get_settings.cache_clear()
    try:
        tenant_id, assistant_id = await _workspace(args.provider)
        concurrency = Capacity.from_settings().handlers

        async def turn(n: int) -> str:
            text = f"{QUESTIONS[n % len(QUESTIONS)]} (order {n})"
            incoming = Incoming(tenant_id, assistant_id, "telegram", str(1_000_000 + n), text,  # type: ignore[arg-type]
                                channel_message_id=f"tg:{n}")  # fmt: skip
            return (await handle_incoming(incoming)).outcome

        await turn(-1)  # the embedding model loads
        me, fakes, pg = psutil.Process(), [llm.pid] if llm else [], _postgres_pids(url)
        before = {"engine": _cpu_each([me.pid]), "postgres": _cpu_each(pg), "fakes": _cpu_each(fakes)}
        began, numbers = time.monotonic(), iter(range(args.updates))
        outcomes: list[str] = []

        async def worker() -> None:
            for n in numbers:
                outcomes.append(await turn(n))

        profiler = cProfile.Profile(time.thread_time) if args.profile else None
        if profiler is not None:
            profiler.enable()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.monotonic() - began
        if profiler is not None:
            profiler.disable()
            profiler.dump_stats(str(ROOT / args.profile))
        used = {"engine": _cpu_since(before["engine"], [me.pid]),
                "postgres": _cpu_since(before["postgres"], _postgres_pids(url)),
                "fakes": _cpu_since(before["fakes"], fakes)}  # fmt: skip
    finally:
        if llm is not None:
            llm.terminate()
            llm.wait(30)
        from chatai_app.db import dispose_engines

        await dispose_engines()
    return {
        "turns": args.updates,
        "concurrency": concurrency,
        "provider": args.provider,
        "answered": outcomes.count("answered"),
        "replies_per_s": round(len(outcomes) / elapsed, 1),
        "cpu_s_per_reply": {k: round(seconds / max(len(outcomes), 1), 4) for k, seconds in used.items()},
        **({"profile": _profile_parts(ROOT / args.profile, len(outcomes))} if args.profile else {}),
    }


def _save(report: dict[str, Any], label: str, out: str) -> None:
    if out == "-":
        return
    path = Path(out)
    data = json.loads(path.read_text()) if path.exists() else {}
    data.setdefault("note", "python -m benchmarks.fleet_burst; see its docstring")
    data.setdefault("runs", {})[label] = report
    path.write_text(json.dumps(data, indent=2) + "\n")


async def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser()
    parser.add_argument("--bots", type=int, default=1000)
    parser.add_argument("--updates", type=int, default=2000)
    parser.add_argument("--provider", choices=("openai", "offline"), default="openai")
    parser.add_argument("--max-poll-s", type=float, default=50, help="longest long poll the fake holds (Telegram: 50)")
    parser.add_argument("--settle-s", type=float, default=5, help="wait after all bots run, before measuring")
    parser.add_argument("--idle-s", type=float, default=30, help="idle window measured before the burst")
    parser.add_argument("--stall-s", type=float, default=60, help="stop when nothing was sent for this long")
    parser.add_argument("--dup-window-s", type=float, default=5, help="wait after the last reply for duplicates")
    parser.add_argument("--timeout-s", type=float, default=900)
    parser.add_argument("--label", default="latest", help="key of this run in the results file")
    parser.add_argument("--out", default=str(RESULTS), help="results file ('-': print only)")
    parser.add_argument("--rate", type=float, default=0, help="updates offered per second (0: all at once)")
    parser.add_argument("--measure-fake", action="store_true", help="only measure the fake Bot API's getUpdates/s")
    parser.add_argument("--engine-only", action="store_true", help="the floor: --updates turns, the engine alone")
    parser.add_argument("--profile", help="pstats file: profile the burst (fleet loop; engine with --engine-only)")
    args = parser.parse_args(argv)
    if args.measure_fake:
        report = await _measure_fake()
        _save(report, "fake_bot_api", args.out)
    elif args.engine_only:
        report = await engine_floor(args)
        _save(report, args.label, args.out)
    else:
        report = await run(args)
        _save(report, args.label, args.out)
    print(json.dumps(report, indent=2))
    return report


if __name__ == "__main__":
    asyncio.run(main())
