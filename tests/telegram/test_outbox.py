"""The outbox (issue 12, items 10-12): per-chat order survives refusals, a crash right after Telegram took a
message does not send it again at once, and long replies are cut at paragraphs."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

from bot_fleet import runner
from bot_fleet.fleet import Fleet
from chatai_app.db import session_scope
from chatai_app.services import telegram
from chatai_app.services.knowledge import qa
from tests.engine.test_conversation import _with_knowledge
from tests.fakes.telegram_server import FakeTelegram
from tests.knowledge.conftest import Workspace
from tests.telegram.conftest import wait_until
from tests.telegram.helpers import calls

ROOT = Path(__file__).resolve().parents[2]
PARAGRAPH = (
    "Courier delivery costs 300 roubles within the city and takes one day. Orders placed before noon leave the "
    "same day; later ones leave the next morning. The courier calls an hour ahead, and you can move the slot "
    "once for free. Outside the city the price depends on the distance, see the table on the site. "
)


def _long_answer(paragraphs: int) -> str:
    """A reply with a blank line every ~440 characters (what the issue saw split mid-sentence)."""
    return "\n\n".join(f"{i}. {PARAGRAPH}{PARAGRAPH[:120]}".strip() for i in range(1, paragraphs + 1))


async def _answer_with(ws: Workspace, question: str, answer: str) -> None:
    async with session_scope() as session:
        await qa.create_qa(
            session=session, tenant_id=ws.tenant_id, assistant_id=ws.assistant_id, question=question, answer=answer
        )


def _send_order(fake: FakeTelegram, token: str, chat_id: int) -> list[str]:
    """Every sendMessage call for the chat, refused ones included, in the order Telegram saw them."""
    return [p["text"] for p in calls(fake, token, "sendMessage") if p["chat_id"] == str(chat_id)]


async def test_long_replies_are_cut_at_paragraphs(shop: Workspace, fake_telegram: FakeTelegram, fleet: Fleet) -> None:
    """Item 12: a blank line every ~440 characters, so no part may end mid-paragraph."""
    answer = _long_answer(17)  # ~7.3k characters: two messages
    await _answer_with(shop, "Tell me about delivery", answer)
    token = fake_telegram.add_bot(730001, "para_bot")
    await telegram.connect_bot(tenant_id=shop.tenant_id, assistant_id=shop.assistant_id, token=token)
    fake_telegram.push_text(token, 1, "Tell me about delivery")
    await wait_until(lambda: len(fake_telegram.sent_texts(token, 1)) == 2, within_s=15)
    parts = fake_telegram.sent_texts(token, 1)
    assert all(len(p) <= telegram.TELEGRAM_LIMIT for p in parts)
    assert "\n\n".join(parts) == answer  # every cut is a paragraph break, nothing lost or reordered
    assert all(p.endswith("table on the site.") or p.endswith(PARAGRAPH[:120].strip()) for p in parts)


def test_without_paragraphs_a_long_reply_is_cut_after_a_sentence_then_a_word() -> None:
    sentences = " ".join(f"Sentence {i} says something, then stops." for i in range(300))
    parts = telegram.split_for_telegram(sentences)
    assert len(parts) > 1 and all(p.endswith("stops.") for p in parts) and " ".join(parts) == sentences
    words = " ".join(f"word{i}" for i in range(1000))
    parts = telegram.split_for_telegram(words)
    assert all(len(p) <= 4096 for p in parts) and " ".join(parts) == words
    assert [len(p) for p in telegram.split_for_telegram("x" * 5000)] == [4096, 904]


@pytest.mark.parametrize(
    ("code", "description"),
    [
        (500, "Internal Server Error"),
        (400, "Bad Request: message is too long"),
        (403, "Forbidden: bot was blocked by the user"),
    ],
)
async def test_a_refused_part_holds_back_the_rest_of_its_reply(
    shop: Workspace, fake_telegram: FakeTelegram, fleet: Fleet, code: int, description: str
) -> None:
    """Item 10: part 1 refused once is sent again before part 2, never after it."""
    answer = _long_answer(17)
    await _answer_with(shop, "Tell me about delivery", answer)
    token = fake_telegram.add_bot(730010 + code, f"order{code}_bot")
    await telegram.connect_bot(tenant_id=shop.tenant_id, assistant_id=shop.assistant_id, token=token)
    fake_telegram.fail_next(token, "sendMessage", code, description)
    fake_telegram.push_text(token, 1, "Tell me about delivery")
    await wait_until(lambda: len(fake_telegram.sent_texts(token, 1)) == 2, within_s=15)
    parts = telegram.split_for_telegram(answer)
    assert fake_telegram.sent_texts(token, 1) == parts
    assert _send_order(fake_telegram, token, 1) == [parts[0], *parts]  # the refused try, then all in order


async def test_a_part_given_up_is_recorded_and_only_then_releases_its_chat(
    shop: Workspace, fake_telegram: FakeTelegram, fleet: Fleet, clean_db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Item 10: after the last attempt the part is given up with Telegram's reason; the rest follows."""
    monkeypatch.setattr(runner, "MAX_SEND_ATTEMPTS", 2)
    answer = _long_answer(17)
    await _answer_with(shop, "Tell me about delivery", answer)
    token = fake_telegram.add_bot(730020, "giveup_bot")
    await telegram.connect_bot(tenant_id=shop.tenant_id, assistant_id=shop.assistant_id, token=token)
    for _ in range(2):
        fake_telegram.fail_next(token, "sendMessage", 400, "Bad Request: can't parse entities")
    fake_telegram.push_text(token, 1, "Tell me about delivery")
    await wait_until(lambda: len(fake_telegram.sent_texts(token, 1)) == 1, within_s=15)
    first, *rest = telegram.split_for_telegram(answer)
    assert _send_order(fake_telegram, token, 1) == [first, first, *rest]
    with psycopg.connect(clean_db) as conn:
        given_up = conn.execute(
            "SELECT part, attempts, last_error FROM outbox_messages WHERE failed_at IS NOT NULL"
        ).fetchall()
    assert len(given_up) == 1 and given_up[0][:2] == (0, 2) and "can't parse entities" in given_up[0][2]


def _fleet_process(log: Path) -> subprocess.Popen[bytes]:
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    return subprocess.Popen(
        [sys.executable, "-m", "bot_fleet"], cwd=ROOT, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT
    )


def _outbox(url: str, chat_id: int) -> list[tuple[bool, bool]]:
    with psycopg.connect(url) as conn:
        return conn.execute(
            "SELECT sending_at IS NOT NULL, sent_at IS NOT NULL FROM outbox_messages WHERE chat_id = %s ORDER BY id",
            (chat_id,),
        ).fetchall()


async def test_a_message_telegram_took_just_before_a_crash_is_not_sent_again_at_once(
    shop: Workspace, fake_telegram: FakeTelegram, tmp_path: Path, clean_db: str
) -> None:
    """Item 11: kill -9 between Telegram accepting a message and the outbox recording it. The next fleet
    leaves the row (marked `sending`) alone for SENDING_GRACE_S; only then is it sent again (at least once)."""
    await _with_knowledge(shop)
    token = fake_telegram.add_bot(730030, "crash_bot")
    await telegram.connect_bot(tenant_id=shop.tenant_id, assistant_id=shop.assistant_id, token=token)
    logs = [tmp_path / "fleet-a.log", tmp_path / "fleet-b.log"]
    fleets = [_fleet_process(logs[0])]

    def started(log: Path) -> bool:
        return "bot @crash_bot started" in log.read_text(errors="replace")

    def kill_first_fleet(params: dict[str, str]) -> None:
        if params["chat_id"] == "1":
            fleets[0].send_signal(signal.SIGKILL)  # Telegram has the message; the fleet never hears back
            fleets[0].wait(10)

    try:
        await wait_until(lambda: started(logs[0]), within_s=30)
        fake_telegram.bots[token].on_send = kill_first_fleet
        fake_telegram.push_text(token, 1, "How much is courier delivery?")
        await wait_until(lambda: fleets[0].poll() is not None, within_s=30)
        fake_telegram.bots[token].on_send = None
        assert len(fake_telegram.sent_texts(token, 1)) == 1
        assert _outbox(clean_db, 1) == [(True, False)]  # left `sending`: the crash came before the result

        fleets.append(_fleet_process(logs[1]))
        await wait_until(lambda: started(logs[1]), within_s=30)
        fake_telegram.push_text(token, 2, "How much is courier delivery?")
        await wait_until(lambda: fake_telegram.sent_texts(token, 2), within_s=20)
        await asyncio.sleep(1.5)
        assert len(fake_telegram.sent_texts(token, 1)) == 1  # not sent again right after the restart

        with psycopg.connect(clean_db) as conn:  # the grace period has passed
            conn.execute(
                "UPDATE outbox_messages SET sending_at = sending_at - make_interval(secs => %s) WHERE chat_id = 1",
                (telegram.SENDING_GRACE_S + 1,),
            )
        fake_telegram.push_text(token, 3, "How much is courier delivery?")  # wakes the sender
        await wait_until(lambda: len(fake_telegram.sent_texts(token, 1)) == 2, within_s=15)
        assert _outbox(clean_db, 1) == [(True, True)]  # the documented at-least-once window
    finally:
        for fleet in fleets:
            if fleet.poll() is None:
                fleet.send_signal(signal.SIGTERM)
                fleet.wait(30)
