"""A local fake Telegram Bot API server (Telegram is an external transport we cannot reach).

Every request is checked against the machine-readable Bot API spec: unknown methods, missing
required fields, unknown fields and wrongly typed values are rejected with 400 as Telegram would.
Tests inject updates, failures and 429s, and read what the bots sent.

It serves from one asyncio loop (aiohttp, keep-alive) in its own thread, so a thousand bots holding
long polls cost no threads; `python -m benchmarks.fleet_burst --measure-fake` measures how many
getUpdates a second it answers (the fleet benchmarks need it to be far faster than the fleet).
Its state (`bots`, their updates, sent messages and calls) is shared with the test's thread under `lock`.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import web

# Telegram Bot API 10.1 from telegram-bot-api-spec (MIT); see data/NOTICE.md.
SPEC_PATH = Path(__file__).resolve().parent / "data" / "bot-api-spec.json"


def load_spec() -> dict[str, Any]:
    return json.loads(SPEC_PATH.read_text(encoding="utf-8"))["methods"]


def _type_ok(value: str, types: list[str]) -> bool:
    for kind in types:
        if kind == "Integer" and value.lstrip("-").isdigit():
            return True
        if kind == "Float":
            try:
                float(value)
                return True
            except ValueError:
                continue
        if kind == "Boolean" and value in ("true", "false", "True", "False"):
            return True
        if kind == "String":
            return True
        if kind not in ("Integer", "Float", "Boolean"):  # objects and arrays travel as JSON
            try:
                json.loads(value)
                return True
            except ValueError:
                continue
    return False


def validate(spec: dict[str, Any], method: str, params: dict[str, str]) -> str | None:
    """Telegram's error description for an invalid call, or None when it is valid."""
    definition = spec.get(method)
    if definition is None:
        return "Not Found: method not found"
    fields = {f["name"]: f for f in definition.get("fields", [])}
    for name, value in params.items():
        if name not in fields:
            return f"Bad Request: unknown parameter {name}"
        if not _type_ok(value, fields[name]["types"]):
            return f"Bad Request: {name} must be {' or '.join(fields[name]['types'])}"
    missing = [name for name, f in fields.items() if f["required"] and name not in params]
    return f"Bad Request: {missing[0]} is required" if missing else None


@dataclass
class FakeBot:
    token: str
    id: int
    username: str
    updates: list[dict[str, Any]] = field(default_factory=list)
    confirmed: int = 0  # highest update_id confirmed by an offset
    sent: list[dict[str, Any]] = field(default_factory=list)
    calls: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    webhook: dict[str, str] = field(default_factory=dict)
    failures: list[tuple[str, int, str, int | None]] = field(default_factory=list)
    on_send: Callable[[dict[str, str]], None] | None = None  # runs once Telegram has accepted a message
    pushed_at: dict[int, float] = field(default_factory=dict)  # update_id -> time.time() it became available
    sent_at: list[float] = field(default_factory=list)  # time.time() of each accepted sendMessage
    sent_ids: list[int] = field(default_factory=list)  # the message_id Telegram gave each of `sent`
    keyboards: dict[tuple[str, int], str] = field(default_factory=dict)  # (chat id, message id) -> reply_markup


class FakeTelegram:
    def __init__(self, port: int = 0, *, record_calls: bool = True) -> None:
        self.spec = load_spec()
        self.bots: dict[str, FakeBot] = {}
        self.lock = threading.Condition()
        self.update_ids = itertools.count(1000)
        self.message_ids: defaultdict[int, itertools.count] = defaultdict(lambda: itertools.count(1))
        self.invalid_calls: list[tuple[str, str]] = []
        self.allow_http_webhooks = False  # Telegram refuses http:// webhook URLs; local tests may lift that
        self.max_poll_s = 2.0  # long polls are held at most this long (Telegram: the timeout asked for)
        self.record_calls = record_calls  # benchmarks turn the per-call log off (it grows without bound)
        self.counts: defaultdict[str, int] = defaultdict(int)  # calls per method, for benchmarks
        self._port = port
        self._waiters: dict[str, asyncio.Event] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._runner: web.AppRunner | None = None
        self._stopped: asyncio.Event | None = None
        self._thread: threading.Thread | None = None
        self.server_address: tuple[str, int] = ("127.0.0.1", port)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    # -- the server's own loop -----------------------------------------------------------------------------

    async def _start(self) -> None:
        app = web.Application(client_max_size=2**22)
        app.router.add_route("*", "/{path:.*}", self._dispatch)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", self._port, backlog=4096, reuse_address=True)
        await site.start()
        self.server_address = site._server.sockets[0].getsockname()[:2]  # type: ignore[union-attr]

    def start(self) -> None:
        """Serve from a thread of its own (tests); returns once the port is bound."""
        started = threading.Event()

        def serve() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            self._stopped = asyncio.Event()
            loop.run_until_complete(self._start())
            started.set()
            loop.run_until_complete(self._stopped.wait())
            loop.run_until_complete(self._runner.cleanup())  # type: ignore[union-attr]
            loop.close()

        self._thread = threading.Thread(target=serve, name="fake-telegram", daemon=True)
        self._thread.start()
        started.wait(30)

    def shutdown(self) -> None:
        if self._loop is not None and self._stopped is not None:
            self._loop.call_soon_threadsafe(self._stopped.set)
        if self._thread is not None:
            self._thread.join(10)

    def serve_forever(self) -> None:
        """Standalone: serve from this thread until killed."""
        loop = asyncio.new_event_loop()
        self._loop = loop
        loop.run_until_complete(self._start())
        print(self.base_url, flush=True)
        loop.run_forever()

    def _wake(self, token: str) -> None:
        """From any thread: a bot's waiting long poll has something to return."""
        loop = self._loop
        if loop is None:
            return
        if threading.current_thread() is self._thread or (self._thread is None and loop.is_running()
                                                          and _in_loop(loop)):  # fmt: skip
            self._set(token)
        else:
            loop.call_soon_threadsafe(self._set, token)

    def _set(self, token: str) -> None:
        if (event := self._waiters.get(token)) is not None:
            event.set()

    # -- what tests and benchmarks call --------------------------------------------------------------------

    def add_bot(self, bot_id: int, username: str) -> str:
        token = f"{bot_id}:AA{'x' * 33}"[:46]
        with self.lock:
            self.bots[token] = FakeBot(token, bot_id, username)
        return token

    def push_text(self, token: str, chat_id: int, text: str, *, chat_type: str = "private", **message: Any) -> int:
        msg = {
            "message_id": next(self.message_ids[chat_id]), "date": int(time.time()), "text": text,
            "chat": {"id": chat_id, "type": chat_type, "first_name": "User"},
            "from": {"id": abs(chat_id), "is_bot": False, "first_name": "User"}, **message,
        }  # fmt: skip
        return self.push_update(token, {"message": msg})

    def push_callback(self, token: str, chat_id: int, data: str, *, message_id: int, user_id: int | None = None,
                      language_code: str = "en") -> int:  # fmt: skip
        """A press of an inline button under the bot's message `message_id` in `chat_id` (a callback_query)."""
        user = {"id": user_id or abs(chat_id), "is_bot": False, "first_name": "User", "language_code": language_code}
        query = {
            "id": f"cb{next(self.update_ids)}", "from": user, "chat_instance": f"ci{chat_id}", "data": data,
            "message": {"message_id": message_id, "date": int(time.time()), "chat": {"id": chat_id, "type": "private"},
                        "text": "…"},
        }  # fmt: skip
        return self.push_update(token, {"callback_query": query})

    def push_update(self, token: str, payload: dict[str, Any]) -> int:
        with self.lock:
            update = {"update_id": next(self.update_ids), **payload}
            bot = self.bots[token]
            bot.updates.append(update)
            bot.pushed_at[update["update_id"]] = time.time()
            self.lock.notify_all()
        self._wake(token)
        return update["update_id"]

    def fail_next(self, token: str, method: str, code: int, description: str, retry_after: int | None = None) -> None:
        with self.lock:
            self.bots[token].failures.append((method, code, description, retry_after))

    def sent_texts(self, token: str, chat_id: int | None = None) -> list[str]:
        with self.lock:
            sent = list(self.bots[token].sent)
        return [m["text"] for m in sent if chat_id is None or m["chat_id"] == str(chat_id)]

    def wait_for(self, predicate: Any, timeout: float = 10) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate():
                return
            time.sleep(0.02)
        raise TimeoutError("the fake Telegram server did not see what the test waited for")

    # -- HTTP ----------------------------------------------------------------------------------------------

    async def _dispatch(self, request: web.Request) -> web.StreamResponse:
        params = await _params(request)
        path = request.path
        if path.startswith("/_control/"):
            return self._control(path, params)
        _, bot_part, method = [*path.split("/"), "", ""][:3]
        bot = self.bots.get(bot_part.removeprefix("bot"))
        if bot is None:
            return _reply(401, {"ok": False, "error_code": 401, "description": "Unauthorized"})
        self.counts[method] += 1
        with self.lock:
            if self.record_calls:
                bot.calls.append((method, params))
            if error := validate(self.spec, method, params):
                self.invalid_calls.append((method, error))
                return _reply(400, {"ok": False, "error_code": 400, "description": error})
            for index, (failing, code, description, retry_after) in enumerate(bot.failures):
                if failing == method:
                    bot.failures.pop(index)
                    body: dict[str, Any] = {"ok": False, "error_code": code, "description": description}
                    if retry_after is not None:
                        body["parameters"] = {"retry_after": retry_after}
                    return _reply(code, body)
        if method == "getUpdates":
            return await self._getUpdates(bot, params)
        handler = getattr(self, f"_{method}", None)
        with self.lock:
            result = handler(bot, params) if handler else True
        if isinstance(result, web.Response):
            return result  # the handler answered with an error itself
        return _reply(200, {"ok": True, "result": result})

    def _control(self, path: str, params: dict[str, str]) -> web.Response:
        """Test control from another process: add bots, push updates, read counters and what was sent."""
        if path == "/_control/add_bot":
            return _reply(200, {"token": self.add_bot(int(params["id"]), params["username"])})
        if path == "/_control/push":
            return _reply(200, {"update_id": self.push_text(params["token"], int(params["chat_id"]), params["text"])})
        if path == "/_control/push_many":  # {"items": [[token, chat_id, text], ...]}: one burst, one request
            items = json.loads(params["items"])
            return _reply(200, {"update_ids": [self.push_text(t, int(c), x) for t, c, x in items]})
        if path == "/_control/configure":
            if "max_poll_s" in params:
                self.max_poll_s = float(params["max_poll_s"])
            if "record_calls" in params:
                self.record_calls = params["record_calls"] == "true"
            return _reply(200, {"ok": True})
        if path == "/_control/sent":  # per bot: [chat_id, time sent, text] and when each update was pushed
            with self.lock:
                out = {token: {"sent": [[m["chat_id"], at, m["text"]] for m, at in zip(bot.sent, bot.sent_at,
                                                                                        strict=True)],
                               "pushed": bot.pushed_at} for token, bot in self.bots.items()}  # fmt: skip
            return _reply(200, out)
        with self.lock:
            sent = sum(len(bot.sent) for bot in self.bots.values())
            pending = sum(len(bot.updates) for bot in self.bots.values())
        return _reply(200, {"sent": sent, "bots": len(self.bots), "invalid": len(self.invalid_calls),
                            "pending_updates": pending, "calls": dict(self.counts)})  # fmt: skip

    def _refuse(self, code: int, description: str) -> web.Response:
        return _reply(code, {"ok": False, "error_code": code, "description": description})

    def _getMe(self, bot: FakeBot, params: dict[str, str]) -> dict[str, Any]:
        return {
            "id": bot.id, "is_bot": True, "first_name": bot.username, "username": bot.username,
            "can_join_groups": True, "can_read_all_group_messages": False, "supports_inline_queries": False,
        }  # fmt: skip

    async def _getUpdates(self, bot: FakeBot, params: dict[str, str]) -> web.Response:
        if bot.webhook:
            return self._refuse(409, "Conflict: can't use getUpdates method while webhook is active; "
                                     "use deleteWebhook to delete the webhook first")  # fmt: skip
        offset, timeout = int(params.get("offset", 0)), min(float(params.get("timeout", 0)), self.max_poll_s)
        limit = int(params.get("limit", 100))
        allowed = set(json.loads(params["allowed_updates"])) if params.get("allowed_updates") else None
        deadline = time.monotonic() + timeout
        while True:
            with self.lock:
                if offset:
                    bot.confirmed = max(bot.confirmed, offset - 1)
                    if bot.updates and bot.updates[0]["update_id"] < offset:
                        bot.updates = [u for u in bot.updates if u["update_id"] >= offset]
                if allowed:  # as Telegram: kinds of update the bot did not ask for are never delivered
                    bot.updates = [u for u in bot.updates if allowed & set(u) - {"update_id"}]
                if bot.updates or bot.webhook:
                    return _reply(200, {"ok": True, "result": list(bot.updates[:limit])})
                left = deadline - time.monotonic()
                if left <= 0:
                    return _reply(200, {"ok": True, "result": []})
                event = self._waiters.setdefault(bot.token, asyncio.Event())
                event.clear()
            with suppress(TimeoutError):
                await asyncio.wait_for(event.wait(), timeout=left)

    def _sendMessage(self, bot: FakeBot, params: dict[str, str]) -> dict[str, Any]:
        bot.sent.append(params)
        bot.sent_at.append(time.time())
        if bot.on_send is not None:
            bot.on_send(params)
        chat_id = int(params["chat_id"])
        message = {"message_id": next(self.message_ids[chat_id]), "date": int(time.time()), "text": params["text"],
                   "chat": {"id": chat_id, "type": "private"}}  # fmt: skip
        bot.sent_ids.append(message["message_id"])
        if "reply_markup" in params:
            message["reply_markup"] = json.loads(params["reply_markup"])
            bot.keyboards[(params["chat_id"], message["message_id"])] = params["reply_markup"]
        return message

    def _answerCallbackQuery(self, bot: FakeBot, params: dict[str, str]) -> bool | web.Response:
        if not params["callback_query_id"].startswith("cb"):
            return self._refuse(400, "Bad Request: query is too old and response timeout expired or query ID is "
                                     "invalid")  # fmt: skip
        return True

    def _editMessageReplyMarkup(self, bot: FakeBot, params: dict[str, str]) -> dict[str, Any] | web.Response:
        key = (params.get("chat_id", ""), int(params.get("message_id", 0)))
        if key not in bot.keyboards:
            return self._refuse(400, "Bad Request: message to edit not found")
        if bot.keyboards[key] == params.get("reply_markup", ""):
            return self._refuse(400, "Bad Request: message is not modified")
        bot.keyboards[key] = params.get("reply_markup", "")
        return {"message_id": key[1], "date": int(time.time()), "text": "…", "chat": {"id": int(key[0]),
                "type": "private"}}  # fmt: skip

    def _setWebhook(self, bot: FakeBot, params: dict[str, str]) -> bool | web.Response:
        url = params["url"]
        if url and not url.startswith("https://") and not self.allow_http_webhooks:
            return self._refuse(400, "Bad Request: bad webhook: An HTTPS URL must be provided for webhook")
        bot.webhook = params if url else {}  # an empty url removes the webhook
        return True

    def _deleteWebhook(self, bot: FakeBot, params: dict[str, str]) -> bool:
        bot.webhook = {}
        return True


def _in_loop(loop: asyncio.AbstractEventLoop) -> bool:
    try:
        return asyncio.get_running_loop() is loop
    except RuntimeError:
        return False


async def _params(request: web.Request) -> dict[str, str]:
    """Query string, then the body: JSON, urlencoded or multipart form (what aiogram sends)."""
    params = dict(request.query)
    if request.can_read_body:
        if request.content_type == "application/json":
            body = await request.json()
            params.update({k: v if isinstance(v, str) else json.dumps(v) for k, v in (body or {}).items()})
        else:
            form = await request.post()
            params.update({k: v if isinstance(v, str) else v.file.read().decode() for k, v in form.items()})
    return params


def _reply(status: int, body: dict[str, Any]) -> web.Response:
    return web.Response(status=status, body=json.dumps(body).encode(), content_type="application/json")


@contextmanager
def running_fake_telegram() -> Iterator[FakeTelegram]:
    server = FakeTelegram()
    server.start()
    try:
        yield server
    finally:
        server.shutdown()


def main() -> None:
    """Standalone: `python -m tests.fakes.telegram_server [--port N]` prints its base URL, then serves."""
    import argparse

    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--max-poll-s", type=float, default=2.0)
    parser.add_argument("--no-call-log", action="store_true", help="keep counters only (long benchmarks)")
    args = parser.parse_args()
    server = FakeTelegram(args.port, record_calls=not args.no_call_log)
    server.max_poll_s = args.max_poll_s
    server.serve_forever()


if __name__ == "__main__":
    main()
