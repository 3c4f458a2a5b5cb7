"""Connecting a Telegram bot in the UI: it answers on the fake Bot API within seconds, via the fleet of `chatai run`."""

from __future__ import annotations

import time

import pytest
from playwright.sync_api import Page, expect

from tests.fakes.telegram_server import FakeTelegram

pytestmark = pytest.mark.browser


def test_bot_added_in_the_ui_answers(page: Page, fake_telegram_for_app: FakeTelegram) -> None:
    page.goto("/signup")
    page.fill("#email", "bots@example.com")
    page.fill("#password", "bots password 1")
    page.click("#signup-submit")
    expect(page.locator("#dashboard-heading")).to_be_visible()
    page.goto("/assistants")
    page.fill("#name", "Telegram helper")
    page.click("#assistant-create")
    expect(page.locator("#knowledge-heading")).to_be_visible()

    page.fill("#bot-token", "not a token")
    page.click("#bot-connect")
    expect(page.locator("#bot-error")).to_contain_text("does not look like a bot token")

    token = fake_telegram_for_app.add_bot(800001, "ui_helper_bot")
    page.fill("#bot-token", token)
    page.click("#bot-connect")
    row = page.locator(".bot-row", has_text="@ui_helper_bot")
    expect(row).to_be_visible()
    expect(row).not_to_contain_text(token)  # only a masked hint is shown

    added = time.monotonic()
    fake_telegram_for_app.push_text(token, 4242, "/start")
    fake_telegram_for_app.wait_for(lambda: fake_telegram_for_app.sent_texts(token, 4242), timeout=10)
    assert time.monotonic() - added < 2.0
    page.reload()  # the status the fleet recorded
    expect(page.locator(".bot-row", has_text="@ui_helper_bot")).to_contain_text("running")
