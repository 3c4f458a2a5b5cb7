"""A local SMTP server (aiosmtpd) that keeps what it receives, and helpers for the team and security tests."""

from __future__ import annotations

import email
import os
import re
import socket
import uuid
from collections.abc import AsyncIterator, Iterator
from email import policy
from email.message import EmailMessage

import httpx
import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller

from chatai_app.db import session_scope
from chatai_app.models import User
from chatai_app.services import mail
from chatai_app.services.conversation import request_human
from chatai_app.settings import get_settings
from tests.knowledge.conftest import Workspace
from tests.test_api import _client


class Inbox:
    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []

    async def handle_DATA(self, server: object, session: object, envelope: object) -> str:
        self.messages.append(email.message_from_bytes(envelope.content, policy=policy.default))  # type: ignore[attr-defined,arg-type]
        return "250 OK"

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if m["To"] == address]

    def last_link(self, address: str, path: str) -> str:
        """The token of the newest link to `path` e-mailed to `address`."""
        for message in reversed(self.to(address)):
            body = message.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]
            if found := re.search(rf"{re.escape(path)}\?token=([\w.-]+)", body):
                return found[1]
        raise AssertionError(f"no {path} link e-mailed to {address}: {[m['Subject'] for m in self.messages]}")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def smtp_server() -> Iterator[tuple[Inbox, int]]:
    inbox, port = Inbox(), _free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield inbox, port
    controller.stop()


@pytest.fixture
def smtp(smtp_server: tuple[Inbox, int], clean_db: str) -> Iterator[Inbox]:
    inbox, port = smtp_server
    inbox.messages.clear()
    os.environ["SMTP_URL"] = f"smtp://127.0.0.1:{port}"
    get_settings.cache_clear()
    yield inbox
    del os.environ["SMTP_URL"]
    get_settings.cache_clear()


@pytest.fixture
async def api(clean_db: str) -> AsyncIterator[httpx.AsyncClient]:
    async with _client() as client:
        yield client


async def delivered() -> None:
    """Wait for the e-mails queued by the last requests to reach the SMTP server."""
    await mail.drain()
    await mail.deliver_pending()


async def sign_up(
    api: httpx.AsyncClient,
    email_: str,
    password: str = "correct horse battery 1",
    workspace: str = "Shop",
    verified: bool = True,
    locale: str = "en",
) -> dict[str, str]:
    response = await api.post(
        "/api/v1/auth/signup",
        json={"email": email_, "password": password, "workspace_name": workspace, "locale": locale},
    )
    assert response.status_code == 201, response.text
    if verified:
        async with session_scope() as session:
            await session.exec(sa.update(User).where(User.email == email_).values(email_verified_at=sa.func.now()))
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


async def log_in(api: httpx.AsyncClient, email_: str, password: str = "correct horse battery 1") -> dict[str, str]:
    response = await api.post("/api/v1/auth/login", json={"email": email_, "password": password})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


async def waiting_dialog(ws: Workspace, assistant_id: uuid.UUID, chat: str) -> uuid.UUID:
    """A widget dialog of `assistant_id` waiting in the operators' queue."""
    dialog_id, _ = await request_human(tenant_id=ws.tenant_id, assistant_id=assistant_id, channel="widget",
                                       external_chat_id=chat, language="en")  # fmt: skip
    return dialog_id
