"""Memory per idle website-widget connection, and the size of the widget loader a site downloads.

    python -m benchmarks.widget_connections [--connections 1000] [--idle-seconds 20] [--settle-s 2] [--write]

Uses DATABASE_URL, or starts an embedded PostgreSQL (temporary directory), and serves the API under
granian, the ASGI server of production, in its own process. Creates one assistant and N visitors,
each with a dialog, opens N server-sent-event streams (`/api/widget/v1/<assistant>/events`, what an
open widget holds) from this process and keeps them idle for a while. Reports the server's RSS
(process tree) before and after, per connection, then checks the streams are live: an operator's
reply to the last visitor is pushed. The loader (`/widget.js`, on every page of a tenant's site) is fetched from
the same server as a browser does (gzip accepted) and without compression: the bytes on the wire of each.
`--write` saves the result to benchmarks/results/widget_connections.json.
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
import urllib.request
import uuid
from contextlib import ExitStack
from pathlib import Path

import psutil

RESULT = Path(__file__).resolve().parent / "results" / "widget_connections.json"


def _tree_rss_mib(pid: int) -> float:
    root = psutil.Process(pid)
    total = 0
    for proc in [root, *root.children(recursive=True)]:
        try:
            total += proc.memory_info().rss
        except psutil.NoSuchProcess:
            continue
    return total / 2**20


def _start_server(
    port: int, *, env: dict[str, str] | None = None, log_level: str = "warning", own_session: bool = False
) -> subprocess.Popen[bytes]:
    """The API under granian on `port`, once `/healthz` answers; `own_session` makes the node (granian and its
    worker) one process group, so a benchmark can kill it whole."""
    process = subprocess.Popen(
        [sys.executable, "-m", "granian", "--interface", "asgi", "--factory", "chatai_app.api.app:build_server",
         "--host", "127.0.0.1", "--port", str(port), "--workers", "1", "--no-ws", "--log-level", log_level,
         "--backlog", "2048"],
        env=env,
        start_new_session=own_session,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while True:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2).close()
            return process
        except OSError:
            assert process.poll() is None and time.monotonic() < deadline
            time.sleep(0.2)


async def _setup(visitors: int) -> tuple[uuid.UUID, uuid.UUID, list[tuple[str, uuid.UUID]]]:
    from sqlalchemy.dialects.postgresql import insert

    from chatai_app.db import session_scope
    from chatai_app.models import Dialog
    from chatai_app.services import accounts, assistants, plans, widget
    from chatai_app.settings import get_settings

    async with session_scope() as session:
        context = await accounts.sign_up(session=session, email="bench@example.com", password="bench password")
        await plans.assign_plan(session=session, tenant_id=context.tenant_id, plan_code="enterprise")
        assistant = await assistants.create_assistant(session=session, tenant_id=context.tenant_id, name="Bench")
    secret = get_settings().secret_key
    people = []
    rows = []
    for _ in range(visitors):
        token = widget.issue_visitor_token(secret_key=secret, assistant_id=assistant.id)
        dialog_id = uuid.uuid4()
        people.append((token, dialog_id))
        rows.append({"id": dialog_id, "tenant_id": context.tenant_id, "assistant_id": assistant.id,
                     "channel": "widget", "external_chat_id": widget.chat_id(token.split(".")[0]), "status": "ai",
                     "priority": 0, "unread_count": 0, "last_error": "", "meta": {}, "end_user_name": "",
                     "end_user_contact": ""})  # fmt: skip
    async with session_scope() as session:
        await session.exec(insert(Dialog).values(rows))
    return context.tenant_id, assistant.id, people


async def _hold(base: str, assistant_id: uuid.UUID, people: list[tuple[str, uuid.UUID]], settle_s: float,
                server_pid: int, tenant_id: uuid.UUID) -> dict[str, float]:  # fmt: skip
    import aiohttp

    from chatai_app.services import inbox

    connector = aiohttp.TCPConnector(limit=0)
    timeout = aiohttp.ClientTimeout(total=None, sock_read=None)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as client:
        baseline = _tree_rss_mib(server_pid)
        responses = []
        url = f"{base}/api/widget/v1/{assistant_id}/events"
        for start in range(0, len(people), 50):  # open in batches, as visitors arrive
            batch = people[start : start + 50]
            responses += await asyncio.gather(*(client.get(url, params={"token": token}) for token, _ in batch))
        assert all(r.status == 200 for r in responses), {r.status for r in responses}
        for response in responses:  # the first frames (retry + state) are read, then the stream idles
            await response.content.readuntil(b"event: state")
        opened = time.monotonic()
        await asyncio.sleep(settle_s)
        loaded = _tree_rss_mib(server_pid)
        last_dialog = people[-1][1]
        owner = await _owner(tenant_id)
        sent = time.perf_counter()
        await inbox.reply(tenant_id=tenant_id, operator_id=owner, dialog_id=last_dialog, text="pushed")
        await responses[-1].content.readuntil(b"pushed")
        push_ms = (time.perf_counter() - sent) * 1000
        for response in responses:
            response.close()
    return {
        "connections": len(people), "rss_before_mib": round(baseline, 1), "rss_with_connections_mib": round(loaded, 1),
        "kib_per_connection": round((loaded - baseline) * 1024 / len(people), 1),
        "idle_for_s": round(time.monotonic() - opened, 1), "push_to_last_visitor_ms": round(push_ms, 1),
    }  # fmt: skip


def _loader_bytes(base: str) -> dict[str, int]:
    """/widget.js as served: bytes on the wire with gzip accepted (what a browser downloads) and without."""
    sizes = {}
    for key, encoding in (("loader_gzip_bytes", "gzip"), ("loader_bytes", "identity")):
        request = urllib.request.Request(f"{base}/widget.js", headers={"Accept-Encoding": encoding})
        with urllib.request.urlopen(request, timeout=10) as response:  # urllib never decompresses
            assert response.headers.get("Content-Encoding", "identity") == encoding
            sizes[key] = len(response.read())
    return sizes


async def _owner(tenant_id: uuid.UUID) -> uuid.UUID:
    from sqlmodel import select

    from chatai_app.db import session_scope
    from chatai_app.models import Membership

    async with session_scope() as session:
        return (await session.exec(select(Membership.user_id).where(Membership.tenant_id == tenant_id))).one()


def main(argv: list[str] | None = None) -> dict[str, float]:
    parser = argparse.ArgumentParser()
    parser.add_argument("--connections", type=int, default=1000)
    parser.add_argument("--idle-seconds", type=float, default=20)
    parser.add_argument("--settle-s", type=float, default=2, help="after the server starts, before the baseline")
    parser.add_argument("--write", action="store_true", help=f"save to {RESULT.relative_to(RESULT.parents[2])}")
    args = parser.parse_args(argv)

    with ExitStack() as stack:
        if not os.environ.get("DATABASE_URL"):
            from chatai_app.embedded_pg import start_embedded_postgres

            data_dir = stack.enter_context(tempfile.TemporaryDirectory())
            os.environ["DATABASE_URL"] = start_embedded_postgres(Path(data_dir), cleanup_mode="stop")
        result = _measure(args.connections, args.idle_seconds, args.settle_s)
    if args.write:
        command = f"python -m benchmarks.widget_connections --connections {args.connections} --write"
        saved = {"command": command, "machine": f"{os.cpu_count()} cores; granian (1 worker) serving the API",
                 **result}  # fmt: skip
        RESULT.write_text(json.dumps(saved, indent=1) + "\n")
    print(json.dumps(result, indent=2))
    return result


def _measure(connections: int, idle_s: float, settle_s: float) -> dict[str, float]:
    from chatai_app.migrations import upgrade_to_head
    from chatai_app.settings import get_settings
    from tests.browser.conftest import _free_port

    get_settings.cache_clear()
    upgrade_to_head(os.environ["DATABASE_URL"])
    tenant_id, assistant_id, people = asyncio.run(_setup(connections))
    port = _free_port()
    server = _start_server(port)
    base = f"http://127.0.0.1:{port}"
    try:
        time.sleep(settle_s)
        held = asyncio.run(_hold(base, assistant_id, people, idle_s, server.pid, tenant_id))
        return {**held, **_loader_bytes(base)}
    finally:
        server.terminate()
        server.wait(20)


if __name__ == "__main__":
    main()
