"""Issue 14 items 11 and 14 in the real built app: the analytics dashboard's charts render from conversations seeded
through the chat and widget APIs; a signed-out visitor sees the landing page, signs up from it, and a platform admin
sees that visit in the sign-up funnel. Screenshots (EN, RU, 390 px) go to test-artifacts/screens/."""

from __future__ import annotations

import json
import re
import urllib.request

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, ROOT, RunningApp

pytestmark = pytest.mark.browser

ARTIFACTS = ROOT / "test-artifacts" / "screens"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 900}
OWNER, OWNER_PASSWORD = "analytics-owner@example.com", "analytics password 1"
VISITOR, VISITOR_PASSWORD = "landing-visitor@example.com", "landing password 1"


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


def _log_in(page: Page, email: str, password: str) -> None:
    page.goto("/login")
    page.fill("#email", email)
    page.fill("#password", password)
    page.click("#login-submit")
    expect(page.locator("#dashboard-heading")).to_be_visible()


def _settle(page: Page) -> None:
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(700)


def _fits_a_phone(page: Page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def _seed(app: RunningApp) -> None:
    """An owner whose assistant answered from knowledge, small-talked, missed, and was handed to a human (API and
    widget channels); the owner answers the handed-off dialog."""
    _api(app, "/api/v1/auth/signup", body={"email": OWNER, "password": OWNER_PASSWORD, "workspace_name": "Stats Shop"})
    token = _api(app, "/api/v1/auth/login", body={"email": OWNER, "password": OWNER_PASSWORD})["access_token"]
    assistant = _api(app, "/api/v1/assistants", token, {"name": "Shop helper"})["id"]
    qa = {"question": "How much does courier delivery cost?", "answer": "Courier delivery costs 300 roubles."}
    _api(app, f"/api/v1/assistants/{assistant}/qa", token, qa)
    chat = f"/api/v1/assistants/{assistant}/chat"
    for conversation, text in (("c1", "How much does courier delivery cost?"), ("c2", "Hi!"),
                               ("c3", "What is the capital of France?")):  # fmt: skip
        _api(app, chat, token, {"text": text, "conversation_id": conversation})
    handed = _api(app, chat, token, {"text": "Please call an operator", "conversation_id": "c4"})
    _api(app, f"/api/v1/dialogs/{handed['dialog_id']}/reply", token, {"text": "Hello, I am here to help."})
    widget = f"/api/widget/v1/{assistant}/"
    origin = {"Origin": "https://shop.example"}
    visitor = _api(app, widget + "visitor", headers=origin, body={})["token"]
    _api(app, widget + "messages", body={"text": "How much does courier delivery cost?"},
         headers={**origin, "X-Visitor-Token": visitor})  # fmt: skip


def test_the_dashboard_charts_render_from_real_data(browser: Browser, app_server: RunningApp) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    _seed(app_server)
    for lang, viewport_name, viewport in (("en", "desktop", DESKTOP), ("ru", "desktop", DESKTOP),
                                          ("en", "phone", PHONE), ("ru", "phone", PHONE)):  # fmt: skip
        context = browser.new_context(base_url=app_server.url, viewport=viewport)
        page = context.new_page()
        page.set_default_timeout(30_000)
        page.add_init_script(f"localStorage.setItem('chatai_lang', '{lang}')")
        _log_in(page, OWNER, OWNER_PASSWORD)
        if viewport_name == "desktop":
            page.click("aside [data-nav=analytics]")
        else:
            page.goto("/analytics")
        expect(page).to_have_url(re.compile(r"/analytics/?$"))
        expect(page.locator("#total-messages")).not_to_have_text("0")
        for chart in ("#chart-dialogs", "#chart-messages", "#analytics-hours"):
            expect(page.locator(f"{chart} svg.recharts-surface").first).to_be_visible()
        expect(page.locator("#chart-dialogs .recharts-bar-rectangle").first).to_be_attached()
        expect(page.locator("[data-outcome=knowledge] .outcome-value")).not_to_have_text(re.compile(r"^0 "))
        expect(page.locator("[data-outcome=handed_off] .outcome-value")).not_to_have_text(re.compile(r"^0 "))
        expect(page.locator("#median-first-response")).not_to_have_text("—")
        expect(page.locator(".spend-row")).to_contain_text("Shop helper")
        expect(page.locator("#feedback-up")).to_be_visible()  # answer feedback totals
        if lang == "ru":
            expect(page.locator("#analytics-heading")).to_have_text("Аналитика")
        if (lang, viewport_name) == ("en", "desktop"):  # another period reloads the figures
            before = page.locator("#analytics-period").inner_text()
            page.locator("#analytics-days").get_by_role("radio").first.click()
            expect(page.locator("#analytics-period")).not_to_have_text(before)
            expect(page.locator("#total-messages")).not_to_have_text("0")
        _settle(page)
        if viewport_name == "phone":
            _fits_a_phone(page)
        page.screenshot(path=str(ARTIFACTS / f"analytics-{viewport_name}-{lang}.png"), full_page=True)
        context.close()


def _funnel_event(page: Page, action, event: str) -> None:
    with page.expect_response(
        lambda r: "/api/v1/funnel/events" in r.url and event in (r.request.post_data or "")
    ) as hit:
        action()
    assert hit.value.status == 204


def test_landing_visit_and_sign_up_show_in_the_admins_funnel(browser: Browser, app_server: RunningApp) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for lang, viewport_name, viewport in (("en", "desktop", DESKTOP), ("ru", "desktop", DESKTOP),
                                          ("ru", "phone", PHONE)):  # fmt: skip
        context = browser.new_context(base_url=app_server.url, viewport=viewport)
        page = context.new_page()
        page.set_default_timeout(30_000)
        page.add_init_script(f"localStorage.setItem('chatai_lang', '{lang}')")
        page.goto("/")  # signed out: the landing page
        expect(page).to_have_url(re.compile(r"/welcome/?$"))
        expect(page.locator("#landing-title")).to_contain_text("ИИ-ассистенты" if lang == "ru" else "AI assistants")
        _settle(page)
        if viewport_name == "phone":
            _fits_a_phone(page)
        page.screenshot(path=str(ARTIFACTS / f"landing-{viewport_name}-{lang}.png"), full_page=True)
        context.close()

    context = browser.new_context(base_url=app_server.url)
    page = context.new_page()
    page.set_default_timeout(30_000)
    _funnel_event(page, lambda: page.goto("/welcome"), "landing_visit")
    visitor_id = page.evaluate("localStorage.getItem('chatai_visitor')")
    assert re.fullmatch(r"[A-Za-z0-9-]{8,64}", visitor_id)
    assert not [c for c in context.cookies() if "visitor" in c["name"]]  # an id in local storage, not a cookie
    _funnel_event(page, lambda: page.click("#landing-signup"), "signup_view")
    expect(page).to_have_url(re.compile(r"/signup/?$"))
    expect(page.locator("#funnel-visitor-id")).to_have_value(visitor_id)  # the form links the sign-up to the visit
    page.fill("#full_name", "Lena")
    page.fill("#workspace_name", "Lena's Bakery")
    page.fill("#email", VISITOR)
    page.fill("#password", VISITOR_PASSWORD)
    page.click("#signup-submit")
    expect(page.locator("#dashboard-heading")).to_contain_text("Welcome, Lena")
    context.close()

    for lang, viewport_name, viewport in (("en", "desktop", DESKTOP), ("ru", "desktop", DESKTOP),
                                          ("en", "phone", PHONE)):  # fmt: skip
        admin_context = browser.new_context(base_url=app_server.url, viewport=viewport)
        admin = admin_context.new_page()
        admin.set_default_timeout(30_000)
        admin.add_init_script(f"localStorage.setItem('chatai_lang', '{lang}')")
        _log_in(admin, ADMIN_EMAIL, ADMIN_PASSWORD)
        admin.goto("/admin/funnel")
        for step in ("landing_visit", "signup_view", "account_created"):
            count = admin.locator(f".funnel-row[data-step={step}] .funnel-count")
            expect(count).not_to_have_text("")
            assert int(count.inner_text()) >= 1, step
        expect(admin.locator(".funnel-row[data-step=signup_view] .funnel-conversion")).to_contain_text("%")
        if lang == "ru":
            expect(admin.locator(".funnel-row[data-step=landing_visit]")).to_contain_text("Посетители лендинга")
        _settle(admin)
        if viewport_name == "phone":
            _fits_a_phone(admin)
        admin.screenshot(path=str(ARTIFACTS / f"admin-funnel-{viewport_name}-{lang}.png"), full_page=True)
        admin_context.close()
