"""Two fleet processes share the bots; kill -9 of the one running a bot mid-stream loses and duplicates
nothing, and the other takes the bot over within 10 s."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from chatai_app.services import telegram
from tests.engine.test_conversation import _with_knowledge
from tests.fakes.telegram_server import FakeTelegram
from tests.knowledge.conftest import Workspace
from tests.telegram.conftest import wait_until

ROOT = Path(__file__).resolve().parents[2]
CHATS = list(range(1, 13))


def _fleet(log: Path) -> subprocess.Popen[bytes]:
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    return subprocess.Popen(
        [sys.executable, "-m", "bot_fleet"], cwd=ROOT, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT
    )


def _runs_bot(log: Path) -> bool:
    return "bot @failover_bot started" in log.read_text(errors="replace")


async def test_kill_9_mid_stream_hands_over_without_loss_or_duplicates(
    shop: Workspace, fake_telegram: FakeTelegram, tmp_path: Path
) -> None:
    await _with_knowledge(shop)
    token = fake_telegram.add_bot(900001, "failover_bot")
    await telegram.connect_bot(tenant_id=shop.tenant_id, assistant_id=shop.assistant_id, token=token)
    logs = [tmp_path / "fleet-a.log", tmp_path / "fleet-b.log"]
    fleets = [_fleet(logs[0])]
    try:
        await wait_until(lambda: _runs_bot(logs[0]), within_s=30)
        fleets.append(_fleet(logs[1]))  # the standby: the lease is taken, so it waits
        await asyncio.sleep(2)
        for chat in CHATS:
            fake_telegram.push_text(token, chat, f"How much is courier delivery? ({chat})")

        # Kill while an answer is being generated (typing shown for chat 4), after chat 3's reply went out.
        def mid_answer() -> bool:
            typing = [p["chat_id"] for m, p in fake_telegram.bots[token].calls if m == "sendChatAction"]
            return "4" in typing and len(fake_telegram.sent_texts(token)) >= 3

        await wait_until(mid_answer, within_s=60)
        await asyncio.sleep(0.2)
        fleets[0].send_signal(signal.SIGKILL)
        killed_at = time.monotonic()
        await wait_until(lambda: _runs_bot(logs[1]), within_s=15)
        assert time.monotonic() - killed_at < 10

        await wait_until(lambda: all(fake_telegram.sent_texts(token, chat) for chat in CHATS), within_s=90)
        await asyncio.sleep(1.5)  # room for a duplicate to show up, if there were one
        replies = {chat: fake_telegram.sent_texts(token, chat) for chat in CHATS}
        assert all(len(texts) == 1 for texts in replies.values()), replies
        assert all("300 roubles" in texts[0] for texts in replies.values())
    finally:
        for fleet in fleets:
            if fleet.poll() is None:
                fleet.send_signal(signal.SIGTERM)
                fleet.wait(30)
