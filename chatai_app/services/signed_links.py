"""Signed, expiring, single-use links (invitations, password resets, e-mail verification).

A token is `payload.signature`: the payload names its purpose, the row it belongs to and when it expires, the
signature is an HMAC with a key derived from SECRET_KEY. Forged or expired tokens are refused before any database
read; the row keeps only the token's SHA-256, so a new link (resend) voids the old one and a used row refuses it."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid
from datetime import datetime

from chatai_app.services.errors import DomainError
from chatai_app.settings import get_settings


class LinkInvalid(DomainError):
    code = "link_invalid"

    def __init__(self, message: str = "This link is invalid or has expired; ask for a new one") -> None:
        super().__init__(message)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _key() -> bytes:
    return hashlib.sha256(("signed-links:" + get_settings().secret_key).encode()).digest()


def make(purpose: str, row_id: uuid.UUID, expires_at: datetime) -> str:
    payload = _b64(
        json.dumps(
            {"p": purpose, "i": str(row_id), "e": int(expires_at.timestamp()), "n": _b64(uuid.uuid4().bytes)},
            separators=(",", ":"),
        ).encode()
    )
    signature = _b64(hmac.new(_key(), payload.encode(), hashlib.sha256).digest())
    return f"{payload}.{signature}"


def read(token: str, purpose: str) -> uuid.UUID:
    """The row id a genuine, unexpired token of this purpose names; LinkInvalid otherwise."""
    try:
        payload, signature = (token or "").strip().split(".")
        expected = _b64(hmac.new(_key(), payload.encode(), hashlib.sha256).digest())
        if not hmac.compare_digest(expected, signature):
            raise LinkInvalid()
        claims = json.loads(_unb64(payload))
        if claims["p"] != purpose or int(claims["e"]) < time.time():
            raise LinkInvalid()
        return uuid.UUID(claims["i"])
    except (ValueError, KeyError, TypeError) as exc:
        raise LinkInvalid() from exc


def digest(token: str) -> str:
    return hashlib.sha256((token or "").encode()).hexdigest()


def matches(token: str, stored_hash: str) -> bool:
    return hmac.compare_digest(digest(token), stored_hash or "")
