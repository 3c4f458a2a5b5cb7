"""Time from a visitor's send to the operators' screens, with many operator pages open.

    python -m benchmarks.inbox_latency [--pages 50] [--samples 30] [--pause-s 1]

Runs the real `chatai run` (embedded PostgreSQL, built frontend, web + worker + fleet), signs an operator
in and opens N inbox pages in Chromium (each its own Reflex websocket and live task). A visitor then
asks for an operator through the widget API, again and again; each page records (MutationObserver,
`Date.now()`) when the new dialog appears in its queue. Latency = that moment minus the moment the
visitor's request was sent, same machine clock. Reports p50/p95/max over every page and sample.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

import httpx
from playwright.sync_api import Browser, sync_playwright

from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, RunningApp, _free_port

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


def _visitor_asks(client: httpx.Client, assistant_id: str, n: int) -> tuple[float, str]:
    api = f"/api/widget/v1/{assistant_id}/"
    token = client.post(api + "visitor").json()["token"]
    sent_ms = time.time() * 1000
    body = {"text": f"operator please ({n})"}
    with client.stream("POST", api + "messages", json=body, headers={"X-Visitor-Token": token}) as response:
        for line in response.iter_lines():
            if line.startswith("data: ") and '"dialog_id"' in line:
                return sent_ms, json.loads(line[6:])["dialog_id"]
    raise RuntimeError("no done event")


def main(argv: list[str] | None = None) -> dict[str, object]:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pages", type=int, default=50)
    parser.add_argument("--samples", type=int, default=30)
    parser.add_argument("--pause-s", type=float, default=1.0, help="between samples")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory() as workdir:
        app = RunningApp(data_dir=Path(workdir) / "var", port=_free_port(), log_path=Path(workdir) / "chatai.log")
        app.start()
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                result = measure(app, browser, args.pages, args.samples, args.pause_s)
                browser.close()
        finally:
            app.stop()
    print(json.dumps(result, indent=2))
    return result


def measure(app: RunningApp, browser: Browser, pages: int, samples: int, pause_s: float = 1.0) -> dict[str, object]:
    """On a running app, with a launched browser (the smoke test passes the browser tests' own)."""
    client = httpx.Client(base_url=app.url, timeout=60)
    email, password = f"latency{time.time_ns()}@example.com", "latency password 1"
    tokens = client.post("/api/v1/auth/signup", json={"email": email, "password": password}).json()
    auth = {"Authorization": f"Bearer {tokens['access_token']}"}
    assistant_id = client.post("/api/v1/assistants", json={"name": "Latency"}, headers=auth).json()["id"]
    context = browser.new_context(base_url=app.url)
    try:
        first = context.new_page()
        first.goto("/login")
        first.fill("#email", email)
        first.fill("#password", password)
        first.click("#login-submit")
        first.wait_for_selector("#dashboard-heading")
        operator_pages = [first, *(context.new_page() for _ in range(pages - 1))]
        for page in operator_pages:
            page.set_default_timeout(60_000)
            page.goto("/inbox")
            page.wait_for_selector("#queue-count")
        time.sleep(3)  # every page's live task is subscribed
        for page in operator_pages:
            page.evaluate(OBSERVER)
        latencies, slowest_page = [], []
        for n in range(samples):
            sent_ms, dialog_id = _visitor_asks(client, assistant_id, n)
            seen = _wait_all(operator_pages, dialog_id)
            latencies += [s - sent_ms for s in seen]
            slowest_page.append(max(seen) - sent_ms)
            time.sleep(pause_s)
    finally:
        context.close()
    return {
        "operator_pages": pages, "samples": samples, "observations": len(latencies),
        "p50_ms": round(statistics.median(latencies)), "p95_ms": round(_percentile(latencies, 0.95)),
        "max_ms": round(max(latencies)), "all_pages_p50_ms": round(statistics.median(slowest_page)),
        "all_pages_p95_ms": round(_percentile(slowest_page, 0.95)),
    }  # fmt: skip


def _wait_all(pages: list, dialog_id: str, timeout_s: float = 60) -> list[float]:
    deadline = time.monotonic() + timeout_s
    seen: dict[int, float] = {}
    while len(seen) < len(pages):
        assert time.monotonic() < deadline, f"{len(pages) - len(seen)} pages never showed {dialog_id}"
        for index, page in enumerate(pages):
            if index not in seen:
                value = page.evaluate("(id) => window.__seen[id]", dialog_id)
                if value:
                    seen[index] = value
        time.sleep(0.2)
    return list(seen.values())


if __name__ == "__main__":
    main()
