"""ASGI layers around the whole backend (pages, Reflex endpoints and the JSON API).

- `RequestGuard`: a request id on every response; bodies capped per kind of endpoint (413 before the body
  is read, whatever the route does later); NUL characters refused in query strings and text bodies (422).
- `SecurityHeaders`: nosniff, no framing of the console by other sites, a referrer policy, HSTS in production.
- `app_cors`: CORS only for the app's own origin; the widget API answers CORS itself from each
  assistant's allow-list (`widget_routes.OriginGuard`).
"""

from __future__ import annotations

import json
import logging
import uuid

from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from chatai_app.services.logbook import request_context
from chatai_app.settings import get_settings

log = logging.getLogger(__name__)
KIB = 1024
TEXT_BODY_LIMIT = 1024 * KIB
WIDGET_BODY_LIMIT = 64 * KIB
UPLOAD_PATH_ENDS = ("/documents", "/qa/import")
WIDGET_PREFIXES = ("/api/widget/v1/", "/widget.js", "/widget/chat/")
NUL_MARKERS = (b"\x00", b"\\u0000", b"%00")


def body_limit(path: str, method: str) -> int:
    """The largest body a request to `path` may carry."""
    if path.startswith("/_upload") or (method == "POST" and path.endswith(UPLOAD_PATH_ENDS)):
        return get_settings().max_upload_bytes + 256 * KIB  # multipart framing around one file
    if path.startswith("/api/widget/"):
        return WIDGET_BODY_LIMIT
    return TEXT_BODY_LIMIT


class BodyTooLarge(Exception):
    def __init__(self, limit: int) -> None:
        super().__init__(f"request body over {limit} bytes")
        self.limit = limit


async def _send_json(send: Send, status: int, body: dict[str, object], request_id: str) -> None:
    payload = json.dumps(body).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode()),
               (b"x-request-id", request_id.encode()), (b"connection", b"close")]  # fmt: skip
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": payload})


def too_large_body(limit: int) -> dict[str, object]:
    return {"error": "payload_too_large", "message": f"The request body is larger than {limit // KIB} KiB"}


NUL_ERROR = {"error": "validation_failed", "message": "Text may not contain NUL (\\u0000) characters"}


class RequestGuard:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = uuid.uuid4().hex[:16]
        scope.setdefault("state", {})["request_id"] = request_id
        request_context.set(request_id)  # log records written for this request name it (admin logs)
        headers = dict(scope["headers"])
        limit = body_limit(scope["path"], scope["method"])
        declared = headers.get(b"content-length", b"")
        if declared.isdigit() and int(declared) > limit:
            await _send_json(send, 413, too_large_body(limit), request_id)
            return
        if any(marker in scope.get("query_string", b"") for marker in (b"%00", b"\x00")):
            await _send_json(send, 422, NUL_ERROR, request_id)
            return
        is_text = not headers.get(b"content-type", b"").startswith(b"multipart/")
        if is_text and scope["method"] in ("POST", "PUT", "PATCH"):
            await self._buffered(scope, receive, send, limit, request_id)
            return
        await self._streamed(scope, receive, send, limit, request_id)

    async def _buffered(self, scope: Scope, receive: Receive, send: Send, limit: int, request_id: str) -> None:
        """Text bodies are small: read them whole (capped), check them, replay them to the app."""
        chunks, size = [], 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                break
            size += len(message.get("body", b""))
            if size > limit:
                await _send_json(send, 413, too_large_body(limit), request_id)
                return
            chunks.append(message.get("body", b""))
            if not message.get("more_body"):
                break
        body = b"".join(chunks)
        if any(marker in body for marker in NUL_MARKERS):
            await _send_json(send, 422, NUL_ERROR, request_id)
            return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, _with_request_id(send, request_id))

    async def _streamed(self, scope: Scope, receive: Receive, send: Send, limit: int, request_id: str) -> None:
        """Uploads stream through, counted: past the limit the app's read fails and the client gets 413."""
        size, started = 0, False

        async def counted() -> Message:
            nonlocal size
            message = await receive()
            size += len(message.get("body", b""))
            if size > limit:
                raise BodyTooLarge(limit)
            return message

        async def tracking(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, _with_request_id(tracking, request_id))
        except BodyTooLarge:
            if not started:
                await _send_json(send, 413, too_large_body(limit), request_id)


def _with_request_id(send: Send, request_id: str) -> Send:
    async def sending(message: Message) -> None:
        if message["type"] == "http.response.start":
            message = {**message, "headers": [*message.get("headers", []), (b"x-request-id", request_id.encode())]}
        await send(message)

    return sending


def _security_headers(path: str) -> list[tuple[bytes, bytes]]:
    headers = [(b"x-content-type-options", b"nosniff"), (b"referrer-policy", b"strict-origin-when-cross-origin")]
    if not path.startswith(WIDGET_PREFIXES):  # the widget sets its own frame-ancestors from the allow-list
        headers += [
            (b"x-frame-options", b"DENY"),
            (b"content-security-policy", b"frame-ancestors 'self'; object-src 'none'; base-uri 'self'"),
        ]
    if get_settings().is_production:
        headers.append((b"strict-transport-security", b"max-age=31536000; includeSubDomains"))
    return headers


class SecurityHeaders:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = _security_headers(scope["path"])

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                added = [(name, value) for name, value in extra if name not in present]
                message = {**message, "headers": [*message.get("headers", []), *added]}
            await send(message)

        await self.app(scope, receive, sending)


class AppCors:
    """CORS with credentials for the app's own origin only; widget paths pass through to their own policy."""

    def __init__(self, app: ASGIApp) -> None:
        settings = get_settings()
        origins = sorted({settings.base_url, f"http://localhost:{settings.port}", f"http://127.0.0.1:{settings.port}"})
        self.app = app
        self.restricted = CORSMiddleware(app, allow_origins=origins, allow_credentials=True, allow_methods=["*"],
                                         allow_headers=["*"])  # fmt: skip

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith(WIDGET_PREFIXES):
            await self.app(scope, receive, send)
            return
        await self.restricted(scope, receive, send)


def guarded(app: ASGIApp) -> ASGIApp:
    """The layers every request passes, outermost first: request guard, security headers, CORS."""
    return RequestGuard(SecurityHeaders(AppCors(app)))
