"""Telegram fixtures: the fake Bot API server, a workspace with knowledge, and an in-process fleet."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Callable, Iterator

import psycopg
import pytest

from bot_fleet.fleet import Fleet
from chatai_app.settings import get_settings
from tests.fakes.telegram_server import FakeTelegram, running_fake_telegram


@pytest.fixture
def fake_telegram() -> Iterator[FakeTelegram]:
    with running_fake_telegram() as server:
        # The app runs on http://localhost here; Telegram (and the fake, by default) wants https webhooks.
        server.allow_http_webhooks = True
        os.environ["TELEGRAM_API_URL"] = server.base_url
        os.environ["TELEGRAM_ALLOW_HTTP_WEBHOOK"] = "true"
        get_settings.cache_clear()
        yield server
        del os.environ["TELEGRAM_API_URL"]
        os.environ.pop("TELEGRAM_ALLOW_HTTP_WEBHOOK", None)
        get_settings.cache_clear()


@pytest.fixture
async def fleet(fake_telegram: FakeTelegram) -> AsyncIterator[Fleet]:
    stop = asyncio.Event()
    running = Fleet()
    task = asyncio.create_task(running.run(stop))
    yield running
    stop.set()
    await asyncio.wait_for(task, timeout=30)


async def wait_until(predicate: Callable[[], object], within_s: float = 10) -> None:
    async with asyncio.timeout(within_s):
        while not predicate():  # noqa: ASYNC110 - the fake server changes state from its own thread
            await asyncio.sleep(0.05)


def _settled(database_url: str, telegram: FakeTelegram, token: str) -> bool:
    """Nothing more can be sent to Telegram for this bot: every update the fake holds was confirmed (handled,
    its reply queued), no job is queued or running (webhook updates), and every outbox message is sent or
    given up; a message counts as sent only after Telegram accepted it, so the fake has seen all there is."""
    with telegram.lock:
        unconfirmed = len(telegram.bots[token].updates)
    with psycopg.connect(database_url) as conn:
        jobs, unsent = conn.execute(
            "SELECT (SELECT count(*) FROM procrastinate_jobs WHERE status IN ('todo', 'doing')),"
            " (SELECT count(*) FROM outbox_messages WHERE sent_at IS NULL AND failed_at IS NULL)"
        ).fetchone()
    return unconfirmed == 0 and jobs == 0 and unsent == 0


async def wait_until_settled(database_url: str, telegram: FakeTelegram, token: str, within_s: float = 60) -> None:
    """Wait until the outbox is drained and idle: then a duplicate, however late, has already been sent."""
    async with asyncio.timeout(within_s):
        while not await asyncio.to_thread(_settled, database_url, telegram, token):  # noqa: ASYNC110 - polls
            await asyncio.sleep(0.1)
