"""Two Reflex web nodes behind one address (issue 17): a signed-in operator's console keeps working when its
websocket moves to the other node, because the page's state lives in Redis (REDIS_URL).

One frontend build serves both: node A is `reflex run --env prod --single-port` (it builds the bundle for the
public address, the proxy's), node B is the same command with the bundle step skipped and the compile done in
memory only, serving the bundle A built (two nodes building into one .web would race). A small proxy in this
test is the public address; it sends everything to node A, then node A is killed (SIGKILL) and the proxy sends
everything to node B. The page (no reload) reconnects through the proxy to node B, and an inbox action there
works: a visitor's request for an operator shows up live, and the operator takes it.

The nodes build into a Reflex work directory of their own, so the other browser tests' `chatai run` keeps its
own bundle (a bundle holds the address it is served at).
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from aiohttp import ClientSession, WSMsgType, web
from playwright.sync_api import Browser, expect

from chatai_app.toolchain import apply_frontend_env
from tests.browser.conftest import ROOT, _free_port

pytestmark = pytest.mark.browser
REDIS_URL = os.environ.get("CHATAI_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
BUILD_TIMEOUT_S = 900
HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "upgrade", "content-length", "host"}
# Node B: Reflex's prod run serving the bundle node A built. The app is still compiled, in memory only
# (dry run): the states the pages create while compiling are part of the state schema the bundle was built
# with, and a backend without them tells every page to reload. Nothing is written to the work directory.
SERVE_BUILT = (
    "import sys, reflex.reflex as r; from reflex.utils import build, prerequisites; "
    "r._compile_app = lambda *a, **k: prerequisites.get_compiled_app(dry_run=True, use_rich=False); "
    "build.setup_frontend_prod = lambda *a, **k: None; "
    "r.cli(['run', '--env', 'prod', '--single-port', '--frontend-port', sys.argv[1], '--backend-port', sys.argv[1]])"
)


class SwitchingProxy:
    """The public address: HTTP and websockets to one backend; `switch` closes the open websockets and sends
    everything after to another backend (what a load balancer does when a node dies)."""

    def __init__(self, backends: list[str]) -> None:
        self.backends, self.current, self.port = backends, 0, _free_port()
        self.loop = asyncio.new_event_loop()
        self.sockets: set[web.WebSocketResponse] = set()
        self.websockets_opened = [0] * len(backends)
        threading.Thread(target=self.loop.run_forever, daemon=True).start()
        asyncio.run_coroutine_threadsafe(self._start(), self.loop).result(10)

    async def _start(self) -> None:
        self.session = ClientSession(auto_decompress=False)
        server = web.Server(self._handle)
        self.runner = web.ServerRunner(server)
        await self.runner.setup()
        await web.TCPSite(self.runner, "127.0.0.1", self.port).start()

    async def _handle(self, request: web.BaseRequest) -> web.StreamResponse:
        target = self.backends[self.current] + request.path_qs
        headers = {k: v for k, v in request.headers.items() if k.lower() not in HOP_BY_HOP}
        if request.headers.get("Upgrade", "").lower() == "websocket":
            return await self._websocket(request, target.replace("http://", "ws://", 1), headers)
        async with self.session.request(request.method, target, headers=headers, data=await request.read(),
                                        allow_redirects=False) as answer:  # fmt: skip
            body = await answer.read()
            kept = {k: v for k, v in answer.headers.items() if k.lower() not in HOP_BY_HOP}
            return web.Response(status=answer.status, body=body, headers=kept)

    async def _websocket(self, request: web.BaseRequest, target: str, headers: dict[str, str]) -> web.StreamResponse:
        protocols = [p.strip() for p in request.headers.get("Sec-WebSocket-Protocol", "").split(",") if p.strip()]
        outside = web.WebSocketResponse(autoping=False, protocols=protocols)  # Reflex names its version there
        await outside.prepare(request)
        headers = {k: v for k, v in headers.items() if not k.lower().startswith("sec-websocket")}
        self.websockets_opened[self.current] += 1
        self.sockets.add(outside)
        try:
            async with self.session.ws_connect(target, headers=headers, autoping=False, protocols=protocols) as inside:

                async def pump(source, sink) -> None:  # type: ignore[no-untyped-def]
                    async for message in source:
                        if message.type == WSMsgType.TEXT:
                            await sink.send_str(message.data)
                        elif message.type == WSMsgType.BINARY:
                            await sink.send_bytes(message.data)
                        else:
                            break

                pumps = [asyncio.ensure_future(pump(outside, inside)), asyncio.ensure_future(pump(inside, outside))]
                await asyncio.wait(pumps, return_when=asyncio.FIRST_COMPLETED)
                for task in pumps:
                    task.cancel()
        except Exception:  # the node is gone: the browser sees the socket close and reconnects
            pass
        finally:
            self.sockets.discard(outside)
            await outside.close()
        return outside

    def switch(self, to: int) -> None:
        async def move() -> None:
            self.current = to
            for socket in list(self.sockets):
                await socket.close()

        asyncio.run_coroutine_threadsafe(move(), self.loop).result(10)

    def close(self) -> None:
        async def stop() -> None:
            await self.runner.cleanup()
            await self.session.close()

        asyncio.run_coroutine_threadsafe(stop(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)


def _wait_served(url: str, process: subprocess.Popen[bytes], log: Path, within_s: float) -> None:
    deadline = time.monotonic() + within_s
    while True:
        assert process.poll() is None, log.read_text(errors="replace")[-4000:]
        try:
            urllib.request.urlopen(url, timeout=5).close()
            return
        except OSError:
            assert time.monotonic() < deadline, log.read_text(errors="replace")[-4000:]
            time.sleep(1)


@pytest.fixture
def two_web_nodes(database_url: str, tmp_path: Path) -> Iterator[tuple[SwitchingProxy, list[subprocess.Popen[bytes]]]]:
    ports = [_free_port(), _free_port()]
    proxy = SwitchingProxy([f"http://127.0.0.1:{port}" for port in ports])
    env = {k: v for k, v in os.environ.items() if k not in ("CHATAI_PORT", "PUBLIC_URL")}
    namespace = f"webnodes-{uuid.uuid4().hex[:8]}"
    env.update(DATABASE_URL=database_url, REDIS_URL=REDIS_URL, CHATAI_EVENT_NAMESPACE=namespace,
               PUBLIC_URL=f"http://localhost:{proxy.port}", SECRET_KEY="web-nodes-test-" + "k" * 32,
               CHATAI_DATA_DIR=str(tmp_path / "var"), GRANIAN_WORKERS="1", PYTHONUNBUFFERED="1",
               REFLEX_WEB_WORKDIR=str(tmp_path / "web"))  # fmt: skip
    apply_frontend_env(env)
    reflex = str(Path(sys.executable).parent / "reflex")
    commands = [
        [reflex, "run", "--env", "prod", "--single-port", "--frontend-port", str(ports[0]), "--backend-port",
         str(ports[0])],
        [sys.executable, "-c", SERVE_BUILT, str(ports[1])],
    ]  # fmt: skip
    nodes: list[subprocess.Popen[bytes]] = []
    try:
        for n, (command, port) in enumerate(zip(commands, ports, strict=True)):
            log = tmp_path / f"web-{n}.log"
            nodes.append(subprocess.Popen(command, cwd=ROOT, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT,
                                          start_new_session=True))  # fmt: skip
            _wait_served(f"http://127.0.0.1:{port}/login/", nodes[-1], log, BUILD_TIMEOUT_S if n == 0 else 120)
        yield proxy, nodes
    finally:
        for node in nodes:
            if node.poll() is None:
                os.killpg(node.pid, signal.SIGTERM)
                try:
                    node.wait(30)
                except subprocess.TimeoutExpired:
                    os.killpg(node.pid, signal.SIGKILL)
        proxy.close()


def test_the_console_keeps_working_when_its_websocket_moves_to_another_node(
    browser: Browser, two_web_nodes: tuple[SwitchingProxy, list[subprocess.Popen[bytes]]], tmp_path: Path
) -> None:
    proxy, nodes = two_web_nodes
    context = browser.new_context(base_url=f"http://localhost:{proxy.port}")
    page = context.new_page()
    page.set_default_timeout(30_000)
    page.goto("/signup")
    page.fill("#email", "nodes-operator@example.com")
    page.fill("#password", "operator password 1")
    page.click("#signup-submit")
    expect(page.locator("#dashboard-heading")).to_be_visible()
    page.goto("/assistants")
    page.fill("#name", "Two nodes")
    page.click("#assistant-create")
    expect(page.locator("#knowledge-heading")).to_be_visible()
    assistant_id = page.url.split("/assistants/")[1].split("/")[0]
    page.goto("/inbox")
    expect(page.locator("#queue-count")).to_have_text("0")
    assert proxy.websockets_opened[1] == 0

    os.killpg(nodes[0].pid, signal.SIGKILL)  # node A dies; the balancer sends everything to node B
    proxy.switch(1)
    api = f"http://localhost:{proxy.port}/api/widget/v1/{assistant_id}/"
    token = httpx.post(api + "visitor", timeout=30).json()["token"]
    asked = httpx.post(api + "messages", json={"text": "operator please"}, headers={"X-Visitor-Token": token},
                       timeout=60)  # fmt: skip
    assert asked.status_code == 200, asked.text

    row = page.locator(".inbox-item[data-status=waiting]")
    try:
        expect(row).to_be_visible(timeout=30_000)  # arrived live through node B: the page reconnected there
    except AssertionError as exc:  # e.g. node B told the page to reload (another state schema): say so
        log = (tmp_path / "web-1.log").read_text(errors="replace")[-3000:]
        raise AssertionError(f"{exc}\n--- node B's log ---\n{log}") from exc
    expect(page.locator("#queue-count")).to_have_text("1")
    row.click()
    expect(page.locator(".inbox-message[data-role=user]").last).to_contain_text("operator please")
    page.click("#inbox-take")  # an action on node B, by the operator signed in through node A
    expect(page.locator("#inbox-release")).to_be_visible()
    assert proxy.websockets_opened[1] >= 1
    context.close()
