"""The whole live loop in two browsers: a visitor on a static page of another origin chats with the widget,
asks for an operator; the operator's inbox shows it without a reload, takes it, replies, releases; the AI
answers again. Every handoff step is in the audit."""

from __future__ import annotations

import functools
import http.server
import json
import re
import threading
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import RunningApp, _free_port

pytestmark = pytest.mark.browser


@pytest.fixture
def static_site(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """A plain HTML site on another origin (127.0.0.1 and another port; the app is on localhost)."""
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", _free_port()), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}", tmp_path
    server.shutdown()


def _api(app: RunningApp, path: str, token: str | None = None, body: dict | None = None) -> object:
    headers = {"Content-Type": "application/json", **({"Authorization": f"Bearer {token}"} if token else {})}
    data = json.dumps(body).encode() if body is not None else None
    with urllib.request.urlopen(urllib.request.Request(app.url + path, data=data, headers=headers), timeout=10) as r:
        return json.loads(r.read())


def _operator_with_assistant(page: Page, site: str, tmp_path: Path, email: str = "operator@example.com") -> str:
    page.goto("/signup")
    page.fill("#email", email)
    page.fill("#password", "operator password 1")
    page.click("#signup-submit")
    expect(page.locator("#dashboard-heading")).to_be_visible()
    page.goto("/assistants")
    page.fill("#name", "Shop helper")
    page.click("#assistant-create")
    expect(page.locator("#knowledge-heading")).to_be_visible()
    knowledge = tmp_path / "delivery.txt"
    knowledge.write_text("# Delivery\n\nCourier delivery costs 300 roubles and takes one day.\n", encoding="utf-8")
    page.set_input_files("#kb_upload input[type=file]", [str(knowledge)])
    page.click("#kb-upload-button")
    expect(page.locator(".document-row", has_text="delivery.txt")).to_contain_text("ready", timeout=60_000)
    assistant_id = re.search(r"/assistants/([0-9a-f-]{36})", page.url).group(1)
    page.click("#to-settings")
    expect(page.locator("#embed-code")).to_contain_text(f'data-assistant="{assistant_id}"')
    page.fill("#allowed_origins", f"{site}\nhttps://shop.example")
    page.click("#settings-save")
    expect(page.get_by_text("Saved")).to_be_visible()
    return assistant_id


def test_visitor_on_another_origin_reaches_a_live_operator(
    browser: Browser, page: Page, app_server: RunningApp, static_site: tuple[str, Path]
) -> None:
    site, site_dir = static_site
    assistant_id = _operator_with_assistant(page, site, site_dir)
    (site_dir / "index.html").write_text(
        "<!doctype html><html><head><title>Shop</title></head><body><h1>Our shop</h1>"
        f'<script src="{app_server.url}/widget.js" data-assistant="{assistant_id}" async></script></body></html>',
        encoding="utf-8",
    )
    page.goto("/inbox")
    expect(page.locator("#queue-count")).to_have_text("0")

    visitor_context = browser.new_context()
    visitor = visitor_context.new_page()
    visitor.set_default_timeout(30_000)
    visitor.goto(f"{site}/index.html")
    visitor.click("#chatai-widget .launcher")
    box = visitor.locator("#chatai-widget textarea")
    box.fill("How much is courier delivery?")
    box.press("Enter")
    expect(visitor.locator(".msg[data-role=assistant]").last).to_contain_text("300 roubles")
    source = visitor.locator(".src span").first  # files are private by default: the cited passage, no link
    expect(source).to_contain_text("delivery.txt")
    expect(visitor.locator(".src a")).to_have_count(0)
    source.click()
    expect(visitor.locator(".src .quote").first).to_contain_text("300 roubles")

    box.fill("Позовите оператора, пожалуйста")
    box.press("Enter")
    expect(visitor.locator(".msg[data-role=system]").last).to_contain_text("Соединяю вас с оператором")
    expect(visitor.locator(".status")).to_contain_text("1")

    row = page.locator(".inbox-item[data-status=waiting]")
    expect(row).to_be_visible(timeout=10_000)  # arrived live, no reload
    expect(page.locator("#queue-count")).to_have_text("1")
    row.click()
    expect(page.locator(".inbox-message[data-role=user]").last).to_contain_text("Позовите оператора")
    page.click("#inbox-take")
    expect(visitor.locator(".msg[data-role=system]").last).to_contain_text("подключился к разговору")
    expect(visitor.locator(".status")).to_contain_text("An operator is with you")  # the browser speaks English

    visitor.locator("#chatai-widget textarea").fill("Мне нужна доставка завтра")
    visitor.locator("#chatai-widget textarea").press("Enter")
    expect(page.locator(".inbox-message[data-role=user]").last).to_contain_text("доставка завтра")
    page.fill("#inbox-draft", "Здравствуйте! Доставим завтра до 18:00.")
    page.click("#inbox-send")
    expect(visitor.locator(".msg[data-role=operator]").last).to_contain_text("Доставим завтра до 18:00")

    page.click("#inbox-release")
    expect(visitor.locator(".msg[data-role=system]").last).to_contain_text("дальше вам поможет ассистент")
    box.fill("And how long does courier delivery take?")
    box.press("Enter")
    expect(visitor.locator(".msg[data-role=assistant]").last).to_contain_text("one day")
    visitor_context.close()

    tokens = _api(app_server, "/api/v1/auth/login", body={"email": "operator@example.com",
                                                          "password": "operator password 1"})  # fmt: skip
    dialogs = _api(app_server, "/api/v1/dialogs?channel=widget", token=tokens["access_token"])
    (dialog,) = dialogs
    audit = _api(app_server, f"/api/v1/dialogs/{dialog['id']}/handoff-audit", token=tokens["access_token"])
    assert [(a["action"], a["reason"]) for a in audit] == [
        ("requested", "keyword"), ("taken", "operator"), ("released", "operator"),
    ]  # fmt: skip
    assert audit[1]["actor_user_id"] == audit[2]["actor_user_id"] is not None
