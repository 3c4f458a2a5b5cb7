"""A local stand-in for the Stripe API's Checkout Sessions endpoint (the SDK's `base_addresses` points here),
plus webhook signing exactly as Stripe documents it (`t=<unix time>,v1=<HMAC-SHA256 of "t.payload">`)."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs


class _Handler(BaseHTTPRequestHandler):
    server: FakeStripe

    def log_message(self, *args: object) -> None:
        return None

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()
        form = {k: v[0] for k, v in parse_qs(body).items()}
        self.server.requests.append((self.path, form, self.headers.get("Authorization", "")))
        if self.path != "/v1/checkout/sessions":
            self._json(404, {"error": {"message": f"Unrecognized request URL (POST: {self.path})"}})
            return
        session_id = f"cs_test_{uuid.uuid4().hex}"
        self._json(200, {
            "id": session_id, "object": "checkout.session", "mode": "payment", "payment_status": "unpaid",
            "amount_total": int(form["line_items[0][price_data][unit_amount]"]),
            "currency": form["line_items[0][price_data][currency]"],
            "client_reference_id": form.get("client_reference_id"),
            "url": f"https://checkout.stripe.com/c/pay/{session_id}",
        })  # fmt: skip

    def _json(self, status: int, payload: object) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


class FakeStripe(ThreadingHTTPServer):
    requests: list[tuple[str, dict[str, str], str]]

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


@contextmanager
def running_fake_stripe() -> Iterator[FakeStripe]:
    server = FakeStripe(("127.0.0.1", 0), _Handler)
    server.requests = []
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def checkout_completed_event(session_id: str, amount_total: int, currency: str = "rub", paid: bool = True) -> bytes:
    """A `checkout.session.completed` event shaped like Stripe's documented payload."""
    return json.dumps({
        "id": f"evt_{uuid.uuid4().hex[:24]}", "object": "event", "api_version": "2025-09-30.clover",
        "created": int(time.time()), "type": "checkout.session.completed", "livemode": False,
        "pending_webhooks": 1, "request": {"id": None, "idempotency_key": None},
        "data": {"object": {
            "id": session_id, "object": "checkout.session", "mode": "payment", "status": "complete",
            "payment_status": "paid" if paid else "unpaid", "amount_total": amount_total, "currency": currency,
            "customer_details": {"email": "payer@example.com"}, "metadata": {},
        }},
    }).encode()  # fmt: skip


def sign(payload: bytes, secret: str, at: int | None = None) -> str:
    timestamp = at or int(time.time())
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + payload, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"
