"""Bot fleet at scale: memory with N bots in one process, and updates per second end to end.

    python -m benchmarks.fleet_scale [--bots 1000] [--updates 500] [--settle-s 10]

Real parts: embedded PostgreSQL, the `bot_fleet` process (aiogram, long polling), the conversation
engine with retrieval. Fakes at the external transports, each in its own process: the Telegram Bot
API and an instant OpenAI-compatible LLM. Uses DATABASE_URL, or an embedded PostgreSQL in a temporary directory.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import psutil
import psycopg

ROOT = Path(__file__).resolve().parents[1]


def _spawn(args: list[str], env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    return subprocess.Popen(args, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)


async def _workspace(llm_url: str) -> tuple[object, object]:
    from chatai_app.db import session_scope
    from chatai_app.services import accounts, assistants, billing, plans
    from chatai_app.services.knowledge.documents import add_document
    from chatai_app.worker import run_until_idle

    async with session_scope() as session:
        context = await accounts.sign_up(session=session, email="fleet@example.com", password="fleet password")
        await plans.assign_plan(session=session, tenant_id=context.tenant_id, plan_code="enterprise")
        assistant = await assistants.create_assistant(session=session, tenant_id=context.tenant_id, name="Fleet")
        await billing.credit(
            session=session, tenant_id=context.tenant_id, amount=10**9, kind="topup", idempotency_key="b"
        )
        await add_document(session=session, tenant_id=context.tenant_id, assistant_id=assistant.id, filename="faq.txt",
                           data=b"# FAQ\n\nDelivery takes two days. Returns are accepted within 14 days.")  # fmt: skip
    await run_until_idle()
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


def _running(url: str) -> int:
    with psycopg.connect(url) as conn:
        return conn.execute("SELECT count(*) FROM bot_instances WHERE status = 'running'").fetchone()[0]


async def main(argv: list[str] | None = None) -> dict[str, object]:
    parser = argparse.ArgumentParser()
    parser.add_argument("--bots", type=int, default=1000)
    parser.add_argument("--updates", type=int, default=500)
    parser.add_argument("--settle-s", type=float, default=10, help="wait after all bots run, before measuring")
    parser.add_argument("--timeout-s", type=float, default=600, help="give up waiting for bots or replies after")
    args = parser.parse_args(argv)
    from chatai_app.embedded_pg import start_embedded_postgres
    from chatai_app.migrations import upgrade_to_head
    from chatai_app.settings import get_settings
    from tests.browser.conftest import _free_port

    if not os.environ.get("DATABASE_URL"):
        os.environ["DATABASE_URL"] = start_embedded_postgres(
            Path(tempfile.mkdtemp(prefix="chatai-fleet-")), cleanup_mode="delete"
        )
    url = os.environ["DATABASE_URL"]
    upgrade_to_head(url)
    telegram = _spawn([sys.executable, "-m", "tests.fakes.telegram_server"])
    telegram_url = telegram.stdout.readline().strip()  # type: ignore[union-attr]
    llm_port = _free_port()
    llm = _spawn([sys.executable, "-m", "tests.fakes.openai_server", "--port", str(llm_port), "--delay", "0"])
    llm.stdout.readline()  # type: ignore[union-attr]
    os.environ.update(TELEGRAM_API_URL=telegram_url, OPENAI_BASE_URL=f"http://127.0.0.1:{llm_port}/v1",
                      OPENAI_API_KEY="x")  # fmt: skip
    get_settings.cache_clear()
    fleet = None
    try:
        async with httpx.AsyncClient(base_url=telegram_url, timeout=30) as control:
            tenant_id, assistant_id = await _workspace(os.environ["OPENAI_BASE_URL"])
            tokens = await _connect_bots(control, tenant_id, assistant_id, args.bots)
            started = time.monotonic()
            fleet = _spawn([sys.executable, "-m", "bot_fleet"], env=dict(os.environ))
            while _running(url) < args.bots and time.monotonic() - started < args.timeout_s:  # noqa: ASYNC110 - another process
                await asyncio.sleep(1)
            all_running_s = time.monotonic() - started
            await asyncio.sleep(args.settle_s)
            rss = psutil.Process(fleet.pid).memory_info().rss / 2**20
            baseline = (await control.get("/_control/stats")).json()["sent"]
            began = time.monotonic()
            for i in range(args.updates):
                token = tokens[i % min(len(tokens), 100)]
                text = "How long does delivery take?"
                await control.post("/_control/push", data={"token": token, "chat_id": 1000 + i, "text": text})
            while (await control.get("/_control/stats")).json()["sent"] - baseline < args.updates:
                if time.monotonic() - began > args.timeout_s:
                    break
                await asyncio.sleep(0.2)
            elapsed = time.monotonic() - began
            stats = (await control.get("/_control/stats")).json()
        report = {
            "bots": args.bots, "bots_running_after_s": round(all_running_s, 1), "fleet_rss_mib": round(rss, 1),
            "rss_per_bot_kib": round(rss * 1024 / args.bots, 1), "updates": args.updates,
            "replies_sent": stats["sent"] - baseline, "updates_per_s": round(args.updates / elapsed, 1),
            "invalid_bot_api_calls": stats["invalid"],
        }  # fmt: skip
        print(json.dumps(report, indent=2))
        return report
    finally:
        for process in (fleet, telegram, llm):
            if process is not None:
                process.terminate()
                process.wait(30)
        from chatai_app.db import dispose_engines

        await dispose_engines()


if __name__ == "__main__":
    asyncio.run(main())
