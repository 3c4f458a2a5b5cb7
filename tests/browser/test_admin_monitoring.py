"""Issue 14 items 7, 8 and 10 in the real built app: messages seeded through the chat and widget APIs show up in the
admin's monitoring charts (svg rendered), one of them is traced stage by stage, and a price is changed in the settings
form in roubles with its previous value in the history. Screenshots (EN, RU, 390 px) go to test-artifacts/screens/."""

from __future__ import annotations

import json
import urllib.request

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, ROOT, RunningApp

pytestmark = pytest.mark.browser

ARTIFACTS = ROOT / "test-artifacts" / "screens"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 900}
OWNER, OWNER_PASSWORD = "monitoring-owner@example.com", "monitoring password 1"
CHARTS = ("#chart-messages", "#chart-llm", "#chart-jobs", "#chart-bots")


def _api(app: RunningApp, path: str, token: str | None = None, body: dict | None = None, headers: dict | None = None):
    sent = {
        "Content-Type": "application/json",
        **({"Authorization": f"Bearer {token}"} if token else {}),
        **(headers or {}),
    }
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(app.url + path, data=data, headers=sent, method="POST" if data else "GET")
    with urllib.request.urlopen(request, timeout=60) as response:
        raw = response.read().decode()
    return json.loads(raw) if raw and raw.lstrip().startswith(("{", "[")) else raw


def _seed(app: RunningApp) -> int:
    """An owner's assistant answers from knowledge over the API and the widget; returns a traced message's id."""
    _api(app, "/api/v1/auth/signup", body={"email": OWNER, "password": OWNER_PASSWORD, "workspace_name": "Watched"})
    token = _api(app, "/api/v1/auth/login", body={"email": OWNER, "password": OWNER_PASSWORD})["access_token"]
    assistant = _api(app, "/api/v1/assistants", token, {"name": "Watched helper"})["id"]
    qa = {"question": "How long does delivery to Kazan take?", "answer": "Parcels to Kazan arrive in three days."}
    _api(app, f"/api/v1/assistants/{assistant}/qa", token, qa)
    chat = f"/api/v1/assistants/{assistant}/chat"
    traced = _api(app, chat, token, {"text": "How long does delivery to Kazan take?", "conversation_id": "m1"})
    _api(app, chat, token, {"text": "Hello!", "conversation_id": "m2"})
    widget = f"/api/widget/v1/{assistant}/"
    origin = {"Origin": "https://watched.example"}
    visitor = _api(app, widget + "visitor", headers=origin, body={})["token"]
    _api(app, widget + "messages", body={"text": "How long does delivery to Kazan take?"},
         headers={**origin, "X-Visitor-Token": visitor})  # fmt: skip
    return int(traced["user_message_id"])


def _admin(browser: Browser, app: RunningApp, lang: str, viewport: dict) -> Page:
    context = browser.new_context(base_url=app.url, viewport=viewport)
    page = context.new_page()
    page.set_default_timeout(30_000)
    page.add_init_script(f"localStorage.setItem('chatai_lang', '{lang}')")
    page.goto("/login")
    page.fill("#email", ADMIN_EMAIL)
    page.fill("#password", ADMIN_PASSWORD)
    page.click("#login-submit")
    expect(page.locator("#dashboard-heading")).to_be_visible()
    return page


def _shot(page: Page, name: str, phone: bool) -> None:
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(700)
    if phone:
        wide = page.evaluate(
            "[...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > innerWidth + 1)"
            ".slice(0, 5).map(e => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right))"
        )
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], (name, wide)
    page.screenshot(path=str(ARTIFACTS / name), full_page=True)


def test_monitoring_charts_trace_and_settings(browser: Browser, app_server: RunningApp) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    message_id = _seed(app_server)
    for lang, name, viewport in (("en", "desktop", DESKTOP), ("ru", "desktop", DESKTOP), ("en", "phone", PHONE)):
        page = _admin(browser, app_server, lang, viewport)
        phone = name == "phone"

        page.goto("/admin/monitoring")
        expect(page.locator("#fig-messages")).not_to_have_text("0")
        for chart in CHARTS:
            expect(page.locator(f"{chart} svg.recharts-surface").first).to_be_visible()
        expect(page.locator("#chart-messages .recharts-bar-rectangle").first).to_be_attached()
        expect(page.locator(".health-row[data-name=database]")).to_have_attribute("data-state", "ok")
        expect(page.locator(".health-row[data-name='process:worker']")).to_be_attached()  # under `chatai run`
        if lang == "ru":
            expect(page.get_by_text("Сообщения в час по каналам")).to_be_visible()
        _shot(page, f"admin-monitoring-{name}-{lang}.png", phone)

        page.goto(f"/admin/trace?message={message_id}")
        expect(page.locator("#trace-question")).to_contain_text("Kazan")
        expect(page.locator(".trace-step")).to_have_count(6)
        for stage in ("received", "stored", "retrieved", "llm", "charged", "delivered"):
            expect(page.locator(f".trace-step[data-stage={stage}]")).to_have_attribute("data-state", "done")
        _shot(page, f"admin-trace-{name}-{lang}.png", phone)

        page.goto("/admin/settings")
        price = page.locator("#set-pricing-message-minor")
        expect(price).to_have_value("1")  # 100 kopecks shown as roubles
        expect(page.locator(".plan-form[data-plan=free]")).to_be_visible()
        if (lang, name) == ("en", "desktop"):  # a change in roubles, audited with the previous value, then undone
            price.fill("1,50")
            page.click("#save-pricing")
            expect(page.locator("[data-sonner-toast]", has_text="Saved")).to_be_visible()
            change = page.locator(".settings-change[data-key='pricing.message_minor']").first
            expect(change).to_contain_text("1 ₽")
            expect(change).to_contain_text("1.50 ₽")
            expect(price).to_have_value("1.50")
            price.fill("1")
            page.click("#save-pricing")
            expect(price).to_have_value("1")
        _shot(page, f"admin-settings-{name}-{lang}.png", phone)
        page.context.close()

    # the owner's Dialogs shows how long each AI reply took, from the same trace
    owner = browser.new_context(base_url=app_server.url, viewport=DESKTOP).new_page()
    owner.goto("/login")
    owner.fill("#email", OWNER)
    owner.fill("#password", OWNER_PASSWORD)
    owner.click("#login-submit")
    expect(owner.locator("#dashboard-heading")).to_be_visible()
    owner.goto("/dialogs")
    owner.locator(".dialog-row", has_text="Kazan").first.click()
    reply = owner.locator(".transcript-message[data-role=assistant]").first
    expect(reply.locator(".reply-timing")).to_contain_text("Replied in")
    _shot(owner, "dialogs-reply-timing-desktop-en.png", False)
    owner.context.close()
