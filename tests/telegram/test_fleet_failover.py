"""Two fleet processes share the bots; kill -9 of the one running a bot mid-stream loses and duplicates
nothing, and the other takes the bot over within 10 s. The model streams (a local OpenAI-compatible server,
200 ms a word, as a real model takes its time) and the kill lands while answers are being generated, with
no message between Telegram and the fleet's `sent` mark: a kill in that instant sends the message again after
telegram.SENDING_GRACE_S (delivery is at least once; tests/telegram/test_outbox.py).
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from chatai_app.services import telegram
from chatai_app.settings import get_settings
from tests.engine.test_conversation import _with_knowledge
from tests.fakes.openai_server import FakeOpenAIServer, running_fake_openai
from tests.fakes.telegram_server import FakeTelegram
from tests.knowledge.conftest import Workspace
from tests.telegram.conftest import wait_until, wait_until_settled

ROOT = Path(__file__).resolve().parents[2]
BEFORE, DURING = [1, 2, 3], list(range(4, 13))  # answered before the kill; asked just before it
CHATS = BEFORE + DURING


def _fleet(log: Path) -> subprocess.Popen[bytes]:
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    return subprocess.Popen(
        [sys.executable, "-m", "bot_fleet"], cwd=ROOT, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT
    )


@pytest.fixture
def streaming_llm() -> Iterator[FakeOpenAIServer]:
    """Reached by the fleet processes through the environment they inherit."""
    with running_fake_openai(delay=0.2) as server:
        os.environ["OPENAI_BASE_URL"], os.environ["OPENAI_API_KEY"] = server.base_url, "test"
        get_settings.cache_clear()
        yield server
        del os.environ["OPENAI_BASE_URL"], os.environ["OPENAI_API_KEY"]
        get_settings.cache_clear()


def _question(chat: int) -> str:
    return f"How much is courier delivery? ({chat})"


def _asked(llm: FakeOpenAIServer, chat: int) -> int:
    """How many times the model was asked to answer this chat's question."""
    asked = [body["messages"][-1]["content"] for path, body in list(llm.requests) if path.endswith("/completions")]
    return asked.count(_question(chat))


def _runs_bot(log: Path) -> bool:
    return "bot @failover_bot started" in log.read_text(errors="replace")


async def test_kill_9_mid_stream_hands_over_without_loss_or_duplicates(
    shop: Workspace, fake_telegram: FakeTelegram, streaming_llm: FakeOpenAIServer, tmp_path: Path, clean_db: str
) -> None:
    await _with_knowledge(shop, provider="openai", model="fake-gpt")
    token = fake_telegram.add_bot(900001, "failover_bot")
    await telegram.connect_bot(tenant_id=shop.tenant_id, assistant_id=shop.assistant_id, token=token)
    logs = [tmp_path / "fleet-a.log", tmp_path / "fleet-b.log"]
    fleets = [_fleet(logs[0])]
    try:
        await wait_until(lambda: _runs_bot(logs[0]), within_s=30)
        fleets.append(_fleet(logs[1]))  # the standby: the lease is taken, so it waits
        await asyncio.sleep(2)
        for chat in BEFORE:
            fake_telegram.push_text(token, chat, _question(chat))
        await wait_until(lambda: all(fake_telegram.sent_texts(token, chat) for chat in BEFORE), within_s=60)
        await wait_until_settled(clean_db, fake_telegram, token)  # nothing between Telegram and `sent`
        for chat in DURING:
            fake_telegram.push_text(token, chat, _question(chat))

        # Kill as soon as the model streams one of the new answers (each takes seconds, none is sent yet).
        await wait_until(lambda: any(_asked(streaming_llm, chat) for chat in DURING), within_s=60)
        fleets[0].send_signal(signal.SIGKILL)
        interrupted = [chat for chat in DURING if _asked(streaming_llm, chat)]
        killed_at = time.monotonic()
        await wait_until(lambda: _runs_bot(logs[1]), within_s=15)
        assert time.monotonic() - killed_at < 10

        await wait_until(lambda: all(fake_telegram.sent_texts(token, chat) for chat in CHATS), within_s=90)
        await wait_until_settled(clean_db, fake_telegram, token, within_s=90)  # a late duplicate is out by now
        replies = {chat: fake_telegram.sent_texts(token, chat) for chat in CHATS}
        assert all(len(texts) == 1 for texts in replies.values()), replies
        assert all("three days" in texts[0] for texts in replies.values()), replies
        assert all(_asked(streaming_llm, chat) == 2 for chat in interrupted)  # cut mid-stream, answered again
    finally:
        for fleet in fleets:
            if fleet.poll() is None:
                fleet.send_signal(signal.SIGTERM)
                fleet.wait(30)
