"""Killing the LLM server mid-answer: the user's message survives, the dialog is marked, retry or fallback."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator

import psycopg
import pytest

from chatai_app.services import assistants, conversation
from chatai_app.services.conversation import Incoming, StreamSink
from chatai_app.settings import get_settings
from tests.engine.test_conversation import _with_knowledge
from tests.knowledge.conftest import Workspace


class LLMProcess:
    """The fake OpenAI-compatible server as a real process we can kill -9."""

    def __init__(self) -> None:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        self.process: subprocess.Popen[str] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.fakes.openai_server", "--port", str(self.port), "--delay", "0.3"],
            stdout=subprocess.PIPE, text=True,
        )  # fmt: skip
        assert self.process.stdout is not None and self.process.stdout.readline().strip() == "ready"

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()


@pytest.fixture
def llm() -> Iterator[LLMProcess]:
    server = LLMProcess()
    server.start()
    os.environ["OPENAI_BASE_URL"], os.environ["OPENAI_API_KEY"] = f"http://127.0.0.1:{server.port}/v1", "test"
    get_settings.cache_clear()
    yield server
    if server.process and server.process.poll() is None:
        server.kill()
    del os.environ["OPENAI_BASE_URL"], os.environ["OPENAI_API_KEY"]
    get_settings.cache_clear()


class KillOnFirstDelta(StreamSink):
    def __init__(self, llm: LLMProcess, restart: bool) -> None:
        self.llm, self.restart, self.deltas, self.resets, self.killed = llm, restart, [], 0, False

    async def delta(self, text: str) -> None:
        self.deltas.append(text)
        if not self.killed:
            self.killed = True
            self.llm.kill()
            if self.restart:
                await asyncio.to_thread(self.llm.start)

    async def reset(self) -> None:
        self.deltas.clear()
        self.resets += 1


def _rows(url: str, sql: str) -> list[tuple]:
    with psycopg.connect(url) as conn:
        return conn.execute(sql).fetchall()


async def test_killed_mid_answer_then_back_the_retry_answers(shop: Workspace, llm: LLMProcess, clean_db: str) -> None:
    await _with_knowledge(shop, provider="openai", model="fake-gpt")
    sink = KillOnFirstDelta(llm, restart=True)
    result = await conversation.handle_incoming(
        Incoming(shop.tenant_id, shop.assistant_id, "api", "c1", "How long to Kazan?"), sink=sink
    )
    assert sink.killed and sink.resets == 1  # the partial answer was discarded, then retried
    assert result.outcome == "answered" and "three days" in result.reply_text
    assert "".join(sink.deltas) == result.reply_text
    assert _rows(clean_db, "SELECT count(*) FROM balance_transactions WHERE type = 'charge'") == [(1,)]


async def test_killed_for_good_falls_back_and_keeps_the_message(
    shop: Workspace, llm: LLMProcess, clean_db: str
) -> None:
    await _with_knowledge(shop, provider="openai", model="fake-gpt")
    sink = KillOnFirstDelta(llm, restart=False)
    result = await conversation.handle_incoming(
        Incoming(shop.tenant_id, shop.assistant_id, "api", "c1", "How long to Kazan?"), sink=sink
    )
    assert result.outcome == "fallback" and "try again" in result.reply_text and sink.resets == 3
    assert _rows(clean_db, "SELECT role, status, content FROM dialog_messages ORDER BY id") == [
        ("user", "ok", "How long to Kazan?"),
        ("assistant", "fallback", result.reply_text),
    ]
    (error,) = _rows(clean_db, "SELECT last_error FROM dialogs")[0]
    assert error.startswith("LLM unavailable")
    # the price reserved for the reply went back: one charge, one refund, nothing spent
    assert _rows(clean_db, "SELECT type, amount_minor FROM balance_transactions WHERE type IN ('charge', 'refund') "
                           "ORDER BY id") == [("charge", -100), ("refund", 100)]  # fmt: skip

    await assistants.apply_settings(
        tenant_id=shop.tenant_id,
        assistant_id=shop.assistant_id,
        changes={"handoff_settings": {"on_llm_failure": "handoff"}},
    )
    handed = await conversation.handle_incoming(
        Incoming(shop.tenant_id, shop.assistant_id, "api", "c2", "Delivery to Kazan?")
    )
    assert handed.outcome == "handoff"
    assert _rows(clean_db, "SELECT reason FROM handoff_audit") == [("llm_outage",)]
