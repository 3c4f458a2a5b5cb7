"""A local fake Telegram Bot API server (Telegram is an external transport we cannot reach).

Every request is checked against the machine-readable Bot API spec: unknown methods, missing
required fields, unknown fields and wrongly typed values are rejected with 400 as Telegram would.
Tests inject updates, failures and 429s, and read what the bots sent.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
import urllib.parse
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

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


class FakeTelegram(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 1024

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.spec = load_spec()
        self.bots: dict[str, FakeBot] = {}
        self.lock = threading.Condition()
        self.update_ids = itertools.count(1000)
        self.message_ids: defaultdict[int, itertools.count] = defaultdict(lambda: itertools.count(1))
        self.invalid_calls: list[tuple[str, str]] = []
        self.allow_http_webhooks = False  # Telegram refuses http:// webhook URLs; local tests may lift that
        self.max_poll_s = 2.0  # long polls are held at most this long (Telegram: the timeout asked for)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def add_bot(self, bot_id: int, username: str) -> str:
        token = f"{bot_id}:AA{'x' * 33}"[:46]
        self.bots[token] = FakeBot(token, bot_id, username)
        return token

    def push_text(self, token: str, chat_id: int, text: str, *, chat_type: str = "private", **message: Any) -> int:
        msg = {
            "message_id": next(self.message_ids[chat_id]), "date": int(time.time()), "text": text,
            "chat": {"id": chat_id, "type": chat_type, "first_name": "User"},
            "from": {"id": abs(chat_id), "is_bot": False, "first_name": "User"}, **message,
        }  # fmt: skip
        return self.push_update(token, {"message": msg})

    def push_update(self, token: str, payload: dict[str, Any]) -> int:
        with self.lock:
            update = {"update_id": next(self.update_ids), **payload}
            self.bots[token].updates.append(update)
            self.lock.notify_all()
            return update["update_id"]

    def fail_next(self, token: str, method: str, code: int, description: str, retry_after: int | None = None) -> None:
        self.bots[token].failures.append((method, code, description, retry_after))

    def sent_texts(self, token: str, chat_id: int | None = None) -> list[str]:
        return [m["text"] for m in self.bots[token].sent if chat_id is None or m["chat_id"] == str(chat_id)]

    def wait_for(self, predicate: Any, timeout: float = 10) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate():
                return
            time.sleep(0.02)
        raise TimeoutError("the fake Telegram server did not see what the test waited for")


class _Handler(BaseHTTPRequestHandler):
    server: FakeTelegram

    def log_message(self, *args: object) -> None:
        pass

    def do_POST(self) -> None:
        self._handle(self._params())

    def do_GET(self) -> None:
        self._handle(dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(self.path).query)))

    def _params(self) -> dict[str, str]:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        kind = self.headers.get("Content-Type", "")
        if kind.startswith("application/json"):
            return {k: v if isinstance(v, str) else json.dumps(v) for k, v in json.loads(body or b"{}").items()}
        if kind.startswith("multipart/form-data"):
            message = BytesParser(policy=HTTP).parsebytes(f"Content-Type: {kind}\r\n\r\n".encode() + body)
            parts = message.iter_parts()
            return {part.get_param("name", header="content-disposition"): part.get_content() for part in parts}
        return dict(urllib.parse.parse_qsl(body.decode()))

    def _control(self, path: str, params: dict[str, str]) -> None:
        """Test control from another process: add bots, push updates, read counters."""
        server = self.server
        if path == "/_control/add_bot":
            return self._reply(200, {"token": server.add_bot(int(params["id"]), params["username"])})
        if path == "/_control/push":
            return self._reply(
                200, {"update_id": server.push_text(params["token"], int(params["chat_id"]), params["text"])}
            )
        sent = sum(len(bot.sent) for bot in server.bots.values())
        return self._reply(200, {"sent": sent, "bots": len(server.bots), "invalid": len(server.invalid_calls)})

    def _handle(self, params: dict[str, str]) -> None:
        path = urllib.parse.urlsplit(self.path).path
        if path.startswith("/_control/"):
            return self._control(path, params)
        _, bot_part, method = [*path.split("/"), "", ""][:3]
        bot = self.server.bots.get(bot_part.removeprefix("bot"))
        if bot is None:
            return self._reply(401, {"ok": False, "error_code": 401, "description": "Unauthorized"})
        bot.calls.append((method, params))
        if error := validate(self.server.spec, method, params):
            self.server.invalid_calls.append((method, error))
            return self._reply(400, {"ok": False, "error_code": 400, "description": error})
        for index, (failing, code, description, retry_after) in enumerate(bot.failures):
            if failing == method:
                bot.failures.pop(index)
                body: dict[str, Any] = {"ok": False, "error_code": code, "description": description}
                if retry_after is not None:
                    body["parameters"] = {"retry_after": retry_after}
                return self._reply(code, body)
        handler = getattr(self, f"_{method}", None)
        result = handler(bot, params) if handler else True
        if result is None:
            return None  # the handler answered with an error itself
        return self._reply(200, {"ok": True, "result": result})

    def _refuse(self, code: int, description: str) -> None:
        self._reply(code, {"ok": False, "error_code": code, "description": description})

    def _reply(self, status: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _getMe(self, bot: FakeBot, params: dict[str, str]) -> dict[str, Any]:
        return {
            "id": bot.id, "is_bot": True, "first_name": bot.username, "username": bot.username,
            "can_join_groups": True, "can_read_all_group_messages": False, "supports_inline_queries": False,
        }  # fmt: skip

    def _getUpdates(self, bot: FakeBot, params: dict[str, str]) -> list[dict[str, Any]] | None:
        if bot.webhook:
            return self._refuse(409, "Conflict: can't use getUpdates method while webhook is active; "
                                     "use deleteWebhook to delete the webhook first")  # fmt: skip
        offset, timeout = int(params.get("offset", 0)), min(float(params.get("timeout", 0)), self.server.max_poll_s)
        deadline = time.monotonic() + timeout
        with self.server.lock:
            if offset:
                bot.confirmed = max(bot.confirmed, offset - 1)
                bot.updates = [u for u in bot.updates if u["update_id"] >= offset]
            while not bot.updates and time.monotonic() < deadline:
                self.server.lock.wait(deadline - time.monotonic())
            return list(bot.updates[: int(params.get("limit", 100))])

    def _sendMessage(self, bot: FakeBot, params: dict[str, str]) -> dict[str, Any]:
        bot.sent.append(params)
        if bot.on_send is not None:
            bot.on_send(params)
        chat_id = int(params["chat_id"])
        return {"message_id": next(self.server.message_ids[chat_id]), "date": int(time.time()), "text": params["text"],
                "chat": {"id": chat_id, "type": "private"}}  # fmt: skip

    def _setWebhook(self, bot: FakeBot, params: dict[str, str]) -> bool | None:
        url = params["url"]
        if url and not url.startswith("https://") and not self.server.allow_http_webhooks:
            return self._refuse(400, "Bad Request: bad webhook: An HTTPS URL must be provided for webhook")
        bot.webhook = params if url else {}  # an empty url removes the webhook
        return True

    def _deleteWebhook(self, bot: FakeBot, params: dict[str, str]) -> bool:
        bot.webhook = {}
        return True


@contextmanager
def running_fake_telegram() -> Iterator[FakeTelegram]:
    server = FakeTelegram()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def main() -> None:
    """Standalone: `python -m tests.fakes.telegram_server` prints its base URL, then serves."""
    server = FakeTelegram()
    print(server.base_url, flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
