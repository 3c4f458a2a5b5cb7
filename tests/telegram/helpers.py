"""Small helpers for the Telegram tests: the HTTP API as the shop's owner, bot rows, calls seen by the fake."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import psycopg

from tests.fakes.telegram_server import FakeTelegram

OWNER = {"email": "shop@example.com", "password": "password 123"}  # tests.knowledge.conftest.make_workspace


@asynccontextmanager
async def owner_api() -> AsyncIterator[httpx.AsyncClient]:
    """The HTTP API, signed in as the owner of the `shop` workspace."""
    from tests.test_api import _client

    async with _client() as api:
        login = await api.post("/api/v1/auth/login", json=OWNER)
        assert login.status_code == 200, login.text
        api.headers["Authorization"] = f"Bearer {login.json()['access_token']}"
        yield api


def bot_row(url: str, username: str) -> dict[str, Any]:
    with psycopg.connect(url) as conn:
        row = conn.execute(
            "SELECT id, status, last_error, enabled, mode FROM bot_instances WHERE username = %s", (username,)
        ).fetchone()
    if row is None:
        return {}
    return dict(zip(("id", "status", "last_error", "enabled", "mode"), row, strict=True))


def calls(telegram: FakeTelegram, token: str, method: str) -> list[dict[str, str]]:
    return [params for name, params in list(telegram.bots[token].calls) if name == method]


def message_update(chat_id: int, text: str | None = None, *, user: dict[str, Any] | None = None,
                   chat_type: str = "private", message_id: int = 1, **extra: Any) -> dict[str, Any]:  # fmt: skip
    message: dict[str, Any] = {"message_id": message_id, "date": 0, "chat": {"id": chat_id, "type": chat_type}}
    if user is not None:
        message["from"] = user
    if text is not None:
        message["text"] = text
    return {"message": message | extra}
