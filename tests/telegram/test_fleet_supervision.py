"""Issue 19, item 1: every bot task is supervised and the fleet never asks the pool for more than it has.

A bot whose update handling raises shows the error as its status and recovers (its other chats and the other
bots keep answering); a crash of a bot's own task is shown and the task restarts; with a pool of 2 connections,
both held on purpose for longer than the pool timeout while updates arrive, no bot dies and every update is
answered exactly once."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager

import psycopg
import pytest
import sqlalchemy as sa

from bot_fleet import runner as runner_module
from bot_fleet.fleet import Fleet
from bot_fleet.work import Capacity
from chatai_app.db import dispose_engines, session_scope
from chatai_app.services import plans, telegram
from chatai_app.settings import get_settings
from tests.engine.test_conversation import _with_knowledge
from tests.fakes.telegram_server import FakeTelegram
from tests.knowledge.conftest import Workspace
from tests.telegram.conftest import wait_until, wait_until_settled
from tests.telegram.helpers import bot_row

QUESTION = "How much is courier delivery?"


@asynccontextmanager
async def _running_fleet() -> AsyncIterator[Fleet]:
    stop = asyncio.Event()
    fleet = Fleet()
    task = asyncio.create_task(fleet.run(stop))
    try:
        yield fleet
    finally:
        stop.set()
        await asyncio.wait_for(task, timeout=60)


async def _connect(ws: Workspace, fake: FakeTelegram, n: int, first_id: int) -> list[str]:
    tokens = [fake.add_bot(first_id + i, f"sup{first_id + i}_bot") for i in range(n)]
    for token in tokens:
        await telegram.connect_bot(tenant_id=ws.tenant_id, assistant_id=ws.assistant_id, token=token)
    return tokens


def _failing_first(times: int, when: Callable[[telegram.InboundMessage], bool]) -> Callable[..., object]:
    real = telegram.handle_update
    left = {"n": times}

    async def handle_update(bot: telegram.ActiveBot, message: telegram.InboundMessage, **options: bool) -> str:
        if when(message) and left["n"] > 0:
            left["n"] -= 1
            raise RuntimeError("the handler broke on purpose")
        return await real(bot, message, **options)

    return handle_update


async def test_a_bot_whose_handler_raises_shows_the_error_and_recovers(
    shop: Workspace, fake_telegram: FakeTelegram, clean_db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    await _with_knowledge(shop)
    async with session_scope() as session:
        await plans.assign_plan(session=session, tenant_id=shop.tenant_id, plan_code="enterprise")
    broken, healthy = await _connect(shop, fake_telegram, 2, 760001)
    monkeypatch.setattr(telegram, "handle_update", _failing_first(2, lambda m: m.chat_id == 1))
    async with _running_fleet() as fleet:
        await wait_until(lambda: bot_row(clean_db, "sup760001_bot")["status"] == "running", within_s=15)
        fake_telegram.push_text(broken, 1, QUESTION)
        await wait_until(lambda: bot_row(clean_db, "sup760001_bot")["status"] == "error", within_s=15)
        assert "the handler broke on purpose" in bot_row(clean_db, "sup760001_bot")["last_error"]
        fake_telegram.push_text(healthy, 2, QUESTION)  # the other bot is not held up meanwhile
        await wait_until(lambda: fake_telegram.sent_texts(healthy, 2), within_s=15)

        # Tried again with backoff (1 s, 2 s): answered once, and the bot is shown running again.
        await wait_until(lambda: fake_telegram.sent_texts(broken, 1), within_s=20)
        await wait_until(lambda: bot_row(clean_db, "sup760001_bot")["status"] == "running", within_s=10)
        assert bot_row(clean_db, "sup760001_bot")["last_error"] == ""

        # A crash of the bot's own task (not of one update): shown, then the task restarts by itself.
        runner = fleet.runners[bot_row(clean_db, "sup760001_bot")["id"]]
        real_batch = runner._handle_batch
        crashes = {"n": 1}

        async def crash_once(updates: list[object]) -> str | None:
            if crashes["n"]:
                crashes["n"] -= 1
                raise ValueError("the poll loop itself broke")
            return await real_batch(updates)  # type: ignore[arg-type]

        monkeypatch.setattr(runner, "_handle_batch", crash_once)
        fake_telegram.push_text(broken, 3, QUESTION)
        await wait_until(lambda: "the poll loop itself broke" in bot_row(clean_db, "sup760001_bot")["last_error"])
        assert bot_row(clean_db, "sup760001_bot")["status"] == "error"
        await wait_until(lambda: fake_telegram.sent_texts(broken, 3), within_s=20)
        await wait_until(lambda: bot_row(clean_db, "sup760001_bot")["status"] == "running", within_s=10)
        assert runner.task is not None and not runner.task.done()
        await wait_until_settled(clean_db, fake_telegram, broken)
    assert [len(fake_telegram.sent_texts(broken, chat)) for chat in (1, 3)] == [1, 1]


async def test_a_poison_update_is_given_up_after_its_tries_and_the_bot_goes_on(
    shop: Workspace, fake_telegram: FakeTelegram, clean_db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    await _with_knowledge(shop)
    monkeypatch.setattr(runner_module, "MAX_UPDATE_ATTEMPTS", 2)
    (token,) = await _connect(shop, fake_telegram, 1, 761001)
    monkeypatch.setattr(telegram, "handle_update", _failing_first(99, lambda m: m.text == "poison"))
    async with _running_fleet():
        fake_telegram.push_text(token, 5, "poison")
        fake_telegram.push_text(token, 6, QUESTION)
        await wait_until(lambda: fake_telegram.sent_texts(token, 6), within_s=20)
        await wait_until(lambda: "given up after 2 tries" in bot_row(clean_db, "sup761001_bot")["last_error"])
        fake_telegram.push_text(token, 7, QUESTION)
        await wait_until(lambda: fake_telegram.sent_texts(token, 7), within_s=20)
        await wait_until(lambda: bot_row(clean_db, "sup761001_bot")["status"] == "running", within_s=10)
    assert fake_telegram.sent_texts(token, 5) == []


@pytest.fixture
def pool_of_two(database_url: str) -> Iterator[None]:
    """This process's pool: 2 connections, no overflow, a 2 s wait (what a checkout waits before it fails)."""
    saved = {k: os.environ.get(k) for k in ("DB_POOL_SIZE", "DB_MAX_OVERFLOW", "DB_POOL_TIMEOUT_S")}
    os.environ.update(DB_POOL_SIZE="2", DB_MAX_OVERFLOW="0", DB_POOL_TIMEOUT_S="2")
    get_settings.cache_clear()
    yield
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value
    get_settings.cache_clear()


async def test_an_exhausted_pool_of_two_leaves_no_bot_dead(
    shop: Workspace, fake_telegram: FakeTelegram, clean_db: str, pool_of_two: None
) -> None:
    await dispose_engines()  # the next checkout builds the small pool
    try:
        assert Capacity.from_settings() == Capacity(handlers=1, senders=1, bookkeeping=1, intake=8)
        await _with_knowledge(shop)
        async with session_scope() as session:
            await plans.assign_plan(session=session, tenant_id=shop.tenant_id, plan_code="enterprise")
        tokens = await _connect(shop, fake_telegram, 12, 762001)
        async with _running_fleet() as fleet:
            await wait_until(lambda: all(r.status == "running" for r in fleet.runners.values())
                             and len(fleet.runners) == 12, within_s=30)  # fmt: skip

            # Both connections taken for 6 s (3 pool timeouts) while two updates per bot arrive.
            async def hold() -> None:
                async with session_scope() as session:
                    await session.exec(sa.text("SELECT pg_sleep(6)"))

            holders = [asyncio.create_task(hold()) for _ in range(2)]
            await asyncio.sleep(0.5)
            for n, token in enumerate(tokens):
                fake_telegram.push_text(token, 100 + n, QUESTION)
                fake_telegram.push_text(token, 200 + n, "How long does delivery take?")
            await asyncio.gather(*holders)

            chats = [(token, chat) for n, token in enumerate(tokens) for chat in (100 + n, 200 + n)]
            await wait_until(lambda: all(fake_telegram.sent_texts(t, c) for t, c in chats), within_s=90)
            for token in tokens:
                await wait_until_settled(clean_db, fake_telegram, token)
            assert all(len(fake_telegram.sent_texts(t, c)) == 1 for t, c in chats)
            assert all(r.task is not None and not r.task.done() for r in fleet.runners.values())  # none died
            await wait_until(lambda: all(r.status == "running" for r in fleet.runners.values()), within_s=30)
            with psycopg.connect(clean_db) as conn:
                statuses = conn.execute("SELECT DISTINCT status FROM bot_instances").fetchall()
            assert statuses == [("running",)]
    finally:
        await dispose_engines()  # back to the usual pool for the next tests
