"""Steps the widget's browser tests share: put the widget of a fresh owner's assistant on the static site, open it
as a visitor in a separate browser context, and send a message."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Browser, BrowserContext, Page

from tests.browser.conftest import RunningApp
from tests.browser.test_widget_handoff import _operator_with_assistant


def open_widget_as_visitor(
    browser: Browser, page: Page, app_server: RunningApp, static_site: tuple[str, Path], *, email: str
) -> tuple[BrowserContext, Page]:
    """Sign up `email` as an owner with an assistant (in `page`), embed its widget in the site's index page and open
    the widget there as a visitor; the caller closes the returned context."""
    site, site_dir = static_site
    assistant_id = _operator_with_assistant(page, site, site_dir, email=email)
    (site_dir / "index.html").write_text(
        "<!doctype html><html><head><title>Shop</title></head><body><h1>Our shop</h1>"
        f'<script src="{app_server.url}/widget.js" data-assistant="{assistant_id}" async></script></body></html>',
        encoding="utf-8",
    )
    visitor_context = browser.new_context()
    visitor = visitor_context.new_page()
    visitor.set_default_timeout(30_000)
    visitor.goto(f"{site}/index.html")
    visitor.click("#chatai-widget .launcher")
    return visitor_context, visitor


def send_in_widget(visitor: Page, text: str) -> None:
    """Type and send; the widget ignores Enter while the previous reply is still being settled, so press again."""
    box = visitor.locator("#chatai-widget textarea")
    box.fill(text)
    for _ in range(40):
        box.press("Enter")
        if box.input_value() == "":
            return
        visitor.wait_for_timeout(250)
    raise AssertionError(f"the widget did not take {text!r}")
