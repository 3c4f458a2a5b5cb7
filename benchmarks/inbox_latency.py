"""Time from a visitor's send to the operators' screens, with many operator connections open.

    python -m benchmarks.inbox_latency [--connections 100] [--samples 30] [--pause-s 1] [--write]

Runs the real `chatai run` (embedded PostgreSQL, built frontend, web + worker + fleet) and signs an operator in.
One real Chromium page opens the inbox and measures what is drawn (MutationObserver, `Date.now()`); the other
connections are lightweight socket.io clients that join exactly as that page did (its own hydrate-and-load
packet, replayed with a token of their own, so each has its own inbox state and live task on the server, and
they send the page's 20 s heartbeat): 99 Chromium renderers on 2 cores would measure Chromium, not us. A
visitor then asks for an operator through the widget API, again and again; latency = the moment a connection
has the new dialog (drawn on the page; in a state delta for the clients) minus the moment the visitor's request
was sent, same machine clock.

Beside it, the floors on the same server with the same connections open: a bare socket.io round trip (an
Engine.IO-level echo of the same websocket server: a Reflex event whose handler only flips a var, answered by
its delta), and the visitor's own request until the widget API says the dialog waits for an operator (the
engine's part, before anything is pushed).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
from playwright.sync_api import Browser, Page, sync_playwright

from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, RunningApp, _free_port

RESULT = Path(__file__).resolve().parent / "results" / "inbox_latency.json"
INBOX_STATE = "reflex___state____state.chatai_app___state___inbox____inbox_state"
HEARTBEAT_S = 20
# One machine plays every visitor: the widget's per-IP limits (10 new visitors a minute) would refuse the samples.
UNTHROTTLED = {"WIDGET_VISITORS_PER_IP_PER_MINUTE": "100000", "WIDGET_MESSAGES_PER_IP_PER_MINUTE": "100000"}
OBSERVER = """() => {
  window.__seen = {};
  const mark = () => document.querySelectorAll('.inbox-item').forEach((n) => {
    const id = n.getAttribute('data-dialog');
    if (id && !(id in window.__seen)) window.__seen[id] = Date.now();
  });
  mark();
  new MutationObserver(mark).observe(document.body, {subtree: true, childList: true, attributes: true});
}"""


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _summary(values: list[float]) -> dict[str, float]:
    return {"p50_ms": round(statistics.median(values)), "p95_ms": round(_percentile(values, 0.95)),
            "max_ms": round(max(values))}  # fmt: skip


def _visitor_asks(client: httpx.Client, assistant_id: str, n: int) -> tuple[float, float, str]:
    """(sent, answered, dialog id): answered = the widget API's done event, the dialog is waiting by then."""
    api = f"/api/widget/v1/{assistant_id}/"
    token = client.post(api + "visitor").json()["token"]
    sent_ms = time.time() * 1000
    body = {"text": f"operator please ({n})"}
    with client.stream("POST", api + "messages", json=body, headers={"X-Visitor-Token": token}) as response:
        for line in response.iter_lines():
            if line.startswith("data: ") and '"dialog_id"' in line:
                return sent_ms, time.time() * 1000, json.loads(line[6:])["dialog_id"]
    raise RuntimeError("no done event")


class LightClients:
    """socket.io clients joined like the inbox page, on an event loop of their own thread."""

    def __init__(self, url: str, boot: dict[str, Any], count: int) -> None:
        self.url, self.boot, self.count = url, boot, count
        self.seen: list[dict[str, float]] = [{} for _ in range(count)]
        self.deltas = [0] * count  # inbox deltas each client received (a client with none never joined)
        self.clients: list[Any] = [None] * count  # by index: the round trip is measured on the first
        self.loop = asyncio.new_event_loop()
        self._pane_answer: asyncio.Future[float] | None = None
        self._beating: list[asyncio.Task[None]] = []
        threading.Thread(target=self.loop.run_forever, daemon=True).start()

    def run(self, coro: Any, timeout: float = 300) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def _on_event(self, index: int):
        def handle(message: dict[str, Any]) -> None:
            now = time.time() * 1000
            inbox = (message.get("delta") or {}).get(INBOX_STATE) or {}
            self.deltas[index] += bool(inbox)
            for item in inbox.get("items_rx_state_") or []:
                self.seen[index].setdefault(item["id"], now)
            if index == 0 and "pane_rx_state_" in inbox and self._pane_answer and not self._pane_answer.done():
                self._pane_answer.set_result(now)

        return handle

    async def _join(self, index: int) -> None:
        import socketio

        client = socketio.AsyncClient(reconnection=False)
        client.on("event", self._on_event(index), namespace="/_event")
        query = f"?token={uuid.uuid4()}"
        await client.connect(self.url + query, socketio_path="/_event", namespaces=["/_event"], auth=self.boot,
                             transports=["websocket"], wait_timeout=60)  # fmt: skip
        self.clients[index] = client
        self._beating.append(self.loop.create_task(self._heartbeats(client)))  # from its own start, as a page's

    async def join_all(self) -> None:
        for start in range(0, self.count, 10):  # ten at a time, as tabs opening
            await asyncio.gather(*(self._join(i) for i in range(start, min(self.count, start + 10))))

    async def _send(self, client: Any, handler: str, payload: dict[str, Any]) -> None:
        event = {"name": f"{INBOX_STATE}.{handler}", "payload": payload,
                 "router_data": {"pathname": "/inbox/", "asPath": "/inbox/"}}  # fmt: skip
        await client.emit("event", event, namespace="/_event")

    async def _heartbeats(self, client: Any) -> None:
        while True:
            await asyncio.sleep(HEARTBEAT_S)
            await self._send(client, "heartbeat", {})

    async def round_trip_ms(self, pane: str) -> float:
        """One event on the first client, answered by its delta: the websocket path with no database work."""
        self._pane_answer = self.loop.create_future()
        started = time.time() * 1000
        await self._send(self.clients[0], "show_pane", {"pane": pane})
        return await asyncio.wait_for(self._pane_answer, 30) - started

    async def close(self) -> None:
        for task in self._beating:
            task.cancel()
        await asyncio.gather(*(c.disconnect() for c in self.clients if c is not None), return_exceptions=True)


def _sign_in_and_capture_boot(page: Page, email: str, password: str) -> dict[str, Any]:
    """Sign the page in, open the inbox, and return the socket.io CONNECT payload its websocket sent there."""
    boots: list[str] = []
    page.on(
        "websocket",
        lambda ws: ws.on("framesent", lambda f: boots.append(f) if str(f).startswith("40/_event,") else None),
    )
    page.goto("/login")
    page.fill("#email", email)
    page.fill("#password", password)
    page.click("#login-submit")
    page.wait_for_selector("#dashboard-heading")
    for _ in range(5):  # the packet may leave before the listener is attached to a new websocket: load again
        boots.clear()
        page.goto("/inbox")
        page.wait_for_selector("#queue-count")
        if boots:
            break
    assert boots, "no websocket CONNECT packet seen on the inbox page"
    return json.loads(str(boots[-1]).split(",", 1)[1])


def measure(
    app: RunningApp, browser: Browser, connections: int, samples: int, pause_s: float = 1.0
) -> dict[str, object]:
    """On a running app, with a launched browser (the smoke test passes the browser tests' own)."""
    client = httpx.Client(base_url=app.url, timeout=60)
    email, password = f"latency{time.time_ns()}@example.com", "latency password 1"
    tokens = client.post("/api/v1/auth/signup", json={"email": email, "password": password}).json()
    auth = {"Authorization": f"Bearer {tokens['access_token']}"}
    assistant_id = client.post("/api/v1/assistants", json={"name": "Latency"}, headers=auth).json()["id"]
    context = browser.new_context(base_url=app.url)
    light = None
    try:
        page = context.new_page()
        page.set_default_timeout(60_000)
        boot = _sign_in_and_capture_boot(page, email, password)
        light = LightClients(app.url, boot, connections - 1)
        light.run(light.join_all())
        time.sleep(3)  # every connection's live task is subscribed
        page.evaluate(OBSERVER)
        page_ms, light_ms, engine_ms, slowest, floor_ms, lost = [], [], [], [], [], 0
        for n in range(samples):
            if light.clients:
                floor_ms.append(light.run(light.round_trip_ms("details" if n % 2 else "chat")))
            sent_ms, answered_ms, dialog_id = _visitor_asks(client, assistant_id, n)
            engine_ms.append(answered_ms - sent_ms)
            seen, missed = _wait_all(page, light, dialog_id)
            lost += missed
            page_ms.append(seen[0] - sent_ms)
            light_ms += [s - sent_ms for s in seen[1:]]
            slowest.append(max(seen) - sent_ms)
            time.sleep(pause_s)
    finally:
        if light is not None:
            light.run(light.close())
        context.close()
    every = [*page_ms, *light_ms]
    return {
        "connections": connections, "chromium_pages": 1, "socketio_clients": connections - 1, "samples": samples,
        "observations": len(every), "never_delivered": lost, **_summary(every), "drawn_in_chromium": _summary(page_ms),
        "socketio_clients_delta": _summary(light_ms) if light_ms else None,
        "all_connections": _summary(slowest),
        "floor_websocket_round_trip": _summary(floor_ms) if floor_ms else None,
        "floor_engine_until_waiting": _summary(engine_ms),
    }  # fmt: skip


def _wait_all(page: Page, light: LightClients, dialog_id: str, timeout_s: float = 30) -> tuple[list[float], int]:
    """When the page drew the dialog, then when each client had it; and how many never had it (a live task that
    stopped: counted as lost, not waited for)."""
    deadline = time.monotonic() + timeout_s
    drawn = None
    while True:
        drawn = drawn or page.evaluate("(id) => window.__seen[id]", dialog_id)
        had = [seen[dialog_id] for seen in light.seen if dialog_id in seen]
        if (drawn and len(had) == len(light.seen)) or time.monotonic() > deadline:
            assert drawn, f"the Chromium page never drew {dialog_id}"
            return [drawn, *had], len(light.seen) - len(had)
        time.sleep(0.05)


def main(argv: list[str] | None = None) -> dict[str, object]:
    parser = argparse.ArgumentParser()
    parser.add_argument("--connections", type=int, default=100, help="1 Chromium page + N-1 socket.io clients")
    parser.add_argument("--samples", type=int, default=30)
    parser.add_argument("--pause-s", type=float, default=1.0, help="between samples")
    parser.add_argument("--port", type=int, default=0, help="default: a free one")
    parser.add_argument("--write", action="store_true", help=f"save to {RESULT.relative_to(RESULT.parents[2])}")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory() as workdir:
        app = RunningApp(data_dir=Path(workdir) / "var", port=args.port or _free_port(),
                         log_path=Path(workdir) / "chatai.log", extra_env=UNTHROTTLED)  # fmt: skip
        app.start()
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                result = measure(app, browser, args.connections, args.samples, args.pause_s)
                browser.close()
            lines = app.log_path.read_text().splitlines()  # the offline build's probe of npmmirror is no failure
            failures = [line for line in lines if ("rror" in line or "failed" in line) and "npmmirror" not in line]
            result["server_log_failures"] = len(failures)
            print("\n".join(failures[:20]), file=sys.stderr)
        except Exception:
            lines = app.log_path.read_text().splitlines()
            print("\n".join(line for line in lines if "rror" in line or "xception" in line)[-6000:])
            raise
        finally:
            app.stop()
    print(json.dumps(result, indent=2))
    if args.write:
        RESULT.write_text(json.dumps(result, indent=2) + "\n")
    return result


if __name__ == "__main__":
    main()
