"""Answer feedback end to end: a visitor on another origin rates a widget answer 👍, the owner sees it on that
answer in Dialogs; the visitor changes it to 👎 and Dialogs follows without a reload. Screenshots of the widget and
of Dialogs (desktop and 390 px) go to test-artifacts/screens."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import ROOT, RunningApp
from tests.browser.test_widget_handoff import static_site  # noqa: F401
from tests.browser.widget_helpers import open_widget_as_visitor, send_in_widget

pytestmark = pytest.mark.browser
ARTIFACTS = ROOT / "test-artifacts" / "screens"


def test_a_visitor_rates_an_answer_and_the_owner_sees_it_in_dialogs(
    browser: Browser,
    page: Page,
    app_server: RunningApp,
    static_site: tuple[str, Path],  # noqa: F811
) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    visitor_context, visitor = open_widget_as_visitor(
        browser, page, app_server, static_site, email="feedback-owner@example.com"
    )
    send_in_widget(visitor, "How much is courier delivery?")
    answer = visitor.locator(".msg[data-role=assistant]").last
    expect(answer).to_contain_text("300 roubles", timeout=30_000)  # a busy machine: give the turn time
    up, down = answer.locator(".fb button[data-rating=up]"), answer.locator(".fb button[data-rating=down]")
    expect(up).to_have_attribute("aria-label", "Helpful")
    up.click()
    expect(up).to_have_attribute("aria-pressed", "true")
    expect(down).to_have_attribute("aria-pressed", "false")
    visitor.screenshot(path=str(ARTIFACTS / "feedback-widget-up.png"))

    page.goto("/dialogs")
    page.locator(".dialog-row").first.click()
    answer_in_dialogs = page.locator(".transcript-message[data-role=assistant]").last
    expect(answer_in_dialogs).to_contain_text("300 roubles", timeout=15_000)
    expect(answer_in_dialogs.locator(".answer-vote[data-vote=up]")).to_contain_text("Helpful")
    page.screenshot(path=str(ARTIFACTS / "feedback-dialogs-desktop-en.png"), full_page=True)

    visitor.reload()  # the vote survives a page load: the transcript carries it (the panel reopens by itself)
    answer = visitor.locator(".msg[data-role=assistant]").last
    expect(answer.locator(".fb button[data-rating=up]")).to_have_attribute("aria-pressed", "true")
    answer.locator(".fb button[data-rating=down]").click()
    expect(answer.locator(".fb button[data-rating=down]")).to_have_attribute("aria-pressed", "true")
    expect(answer_in_dialogs.locator(".answer-vote[data-vote=down]")).to_contain_text(
        "Not helpful", timeout=15_000
    )  # live
    expect(answer_in_dialogs.locator(".answer-vote")).to_have_count(1)
    visitor.screenshot(path=str(ARTIFACTS / "feedback-widget-down.png"))
    visitor_context.close()

    page.set_viewport_size({"width": 390, "height": 844})  # phones: the open transcript takes the screen
    expect(page.locator(".transcript-message[data-role=assistant] .answer-vote[data-vote=down]")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=str(ARTIFACTS / "feedback-dialogs-phone-en.png"), full_page=True)
