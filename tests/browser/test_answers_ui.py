"""Issue 15 in the browser: off-topic questions get 'not found' without a source link in the playground and the
widget, two misses in a row make the widget offer a human, and a website is imported from the knowledge page."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import RunningApp
from tests.browser.test_widget_handoff import static_site  # noqa: F401
from tests.browser.widget_helpers import open_widget_as_visitor, send_in_widget
from tests.fakes.website import running_website

pytestmark = pytest.mark.browser
OFF_TOPIC = (
    "Какая столица Франции?",
    "Какая погода завтра?",
    "Расскажи анекдот",
    "How much does the Premium plan cost?",
)


def _signed_up_with_knowledge(page: Page, tmp_path: Path, email: str) -> None:
    page.goto("/signup")
    page.fill("#email", email)
    page.fill("#password", "answers password 1")
    page.click("#signup-submit")
    expect(page.locator("#dashboard-heading")).to_be_visible()
    page.goto("/assistants")
    page.fill("#name", "Shop helper")
    page.click("#assistant-create")
    knowledge = tmp_path / "delivery.txt"
    knowledge.write_text(
        "# Delivery\n\nCourier delivery costs 300 roubles and takes one day. Parcels are delivered from 9 am to "
        "9 pm on weekdays.\n\n# Hours\n\nThe shop is open from 10 am to 8 pm every day.\n",
        encoding="utf-8",
    )
    page.set_input_files("#kb_upload input[type=file]", [str(knowledge)])
    page.click("#kb-upload-button")
    expect(page.locator(".document-row", has_text="delivery.txt")).to_contain_text("ready", timeout=60_000)


def test_playground_says_not_found_to_off_topic_questions(page: Page, tmp_path: Path) -> None:
    _signed_up_with_knowledge(page, tmp_path, "answers-playground@example.com")
    page.click("#to-playground")
    for question in OFF_TOPIC:  # each in a new chat: two misses in a row would call a human
        page.get_by_role("button", name="New conversation").click()
        expect(page.locator(".assistant-message")).to_have_count(0)
        page.fill("#message", question)
        page.keyboard.press("Enter")
        answer = page.locator(".assistant-message").last
        expect(answer).to_contain_text(re.compile("Я не нашёл ответа|I could not find this"))
        expect(answer.locator(".source-link")).to_have_count(0)
    page.fill("#message", "How much is courier delivery?")
    page.keyboard.press("Enter")
    answer = page.locator(".assistant-message").nth(1)
    expect(answer).to_contain_text("300 roubles")
    expect(answer.locator(".source-link")).to_contain_text("delivery.txt")


def test_widget_says_not_found_and_offers_a_human_after_two_misses(
    browser: Browser,
    page: Page,
    app_server: RunningApp,
    static_site: tuple[str, Path],  # noqa: F811
) -> None:
    visitor_context, visitor = open_widget_as_visitor(
        browser, page, app_server, static_site, email="answers-widget@example.com"
    )
    send_in_widget(visitor, "Привет!")
    expect(visitor.locator(".msg[data-role=assistant]").last).to_contain_text("Здравствуйте")
    send_in_widget(visitor, "Какая столица Франции?")
    expect(visitor.locator(".msg[data-role=assistant]").last).to_contain_text("Я не нашёл ответа")
    expect(visitor.locator(".msg[data-role=assistant] .src")).to_have_count(0)
    send_in_widget(visitor, "Какая погода завтра?")
    expect(visitor.locator(".msg[data-role=assistant]")).to_have_count(3)
    expect(visitor.locator(".msg[data-role=assistant]").last).to_contain_text("Я не нашёл ответа")
    expect(visitor.locator(".msg[data-role=system]").last).to_contain_text("Соединяю вас с оператором")
    expect(visitor.locator(".msg[data-role=assistant] .src")).to_have_count(0)
    visitor_context.close()


def test_website_is_imported_from_the_knowledge_page(page: Page, tmp_path: Path) -> None:
    _signed_up_with_knowledge(page, tmp_path, "answers-website@example.com")
    with running_website() as site:
        site.html(
            "/", "Garden shop", "<main><p>We sell garden tools all over Russia.</p><a href='/warranty'>W</a></main>"
        )
        site.html(
            "/warranty",
            "Warranty",
            "<article><p>Every garden tool has a two-year warranty; keep the receipt.</p></article>",
        )
        page.fill("#website_url", site.base_url + "/")
        page.click("#website-import")
        row = page.locator(".website-row", has_text=site.base_url)
        expect(row.locator(".website-status")).to_contain_text("ready", timeout=60_000)
        expect(row.locator(".website-pages")).to_have_text("2")
        expect(page.locator(".document-row", has_text="Warranty")).to_contain_text("ready", timeout=60_000)
        page.click("#to-playground")
        page.fill("#message", "How long is the warranty on garden tools?")
        page.keyboard.press("Enter")
        answer = page.locator(".assistant-message").last
        expect(answer).to_contain_text("two-year warranty")
        expect(answer.locator(".source-link")).to_contain_text("Warranty")
