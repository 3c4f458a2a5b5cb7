"""Issue 14, a workspace owner's own AI provider keys in Chromium against a real `chatai run`: the owner signs in,
opens /keys from the navigation, adds a key (the secret is never shown, only its masked hint); the provider refuses
the key (401), so each message gets the offline answer and after three messages the owner's key is parked
with the reason shown (its fixed part in Russian, the provider's message verbatim); the owner switches the key off
and on, puts it back in rotation and deletes it after confirming. Screenshots
(desktop, 390 px, Russian) go to test-artifacts/screens."""

from __future__ import annotations

import json
import urllib.request

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import ROOT, RunningApp
from tests.fakes.openai_server import FakeOpenAIServer

pytestmark = pytest.mark.browser

ARTIFACTS = ROOT / "test-artifacts" / "screens"
OWNER, OWNER_PASSWORD = "own-keys-owner@example.com", "own keys owner pass 14"
MODEL = "own-key-model"
SECRET = "sk-own-browser-secret-7f3a"
HINT = f"{SECRET[:3]}…{SECRET[-4:]}"


def _api(app: RunningApp, path: str, token: str | None = None, body: dict | None = None, method: str = "") -> object:
    headers = {"Content-Type": "application/json", **({"Authorization": f"Bearer {token}"} if token else {})}
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(app.url + path, data=data, headers=headers, method=method or None)
    with urllib.request.urlopen(request, timeout=30) as response:
        raw = response.read()
    return json.loads(raw) if raw else None


def _owner_with_an_assistant(app: RunningApp) -> tuple[str, str]:
    body = {"email": OWNER, "password": OWNER_PASSWORD, "full_name": "Own Keys", "workspace_name": "Own keys shop"}
    token = str(_api(app, "/api/v1/auth/signup", body=body)["access_token"])  # type: ignore[index]
    assistant = str(_api(app, "/api/v1/assistants", token, {"name": "Own key helper"})["id"])  # type: ignore[index]
    _api(app, f"/api/v1/assistants/{assistant}", token, {"provider": "openai", "model": MODEL}, method="PATCH")
    return token, assistant


def _sign_in(page: Page) -> None:
    page.goto("/login")
    page.fill("#email", OWNER)
    page.fill("#password", OWNER_PASSWORD)
    page.click("#login-submit")
    expect(page.locator("#dashboard-heading")).to_be_visible()


def test_owner_adds_sees_masked_switches_off_and_deletes_own_key(
    browser: Browser, app_server: RunningApp, fake_llm: FakeOpenAIServer
) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    token, assistant = _owner_with_an_assistant(app_server)
    context = browser.new_context(base_url=app_server.url, viewport={"width": 1366, "height": 900})
    page = context.new_page()
    page.set_default_timeout(30_000)
    _sign_in(page)
    page.locator(".nav-item[data-nav='own_keys']").click()
    expect(page.locator("#keys-heading")).to_be_visible()
    expect(page.locator("#okeys-fallback")).to_contain_text("platform's keys")

    page.fill("#okey-base-url", fake_llm.base_url)
    page.fill("#okey-api-key", SECRET)
    page.fill("#okey-priority", "5")
    page.fill("#okey-daily_request_limit", "1000")
    page.click("#okey-add")
    card = page.locator(f".own-key[data-hint='{HINT}']")
    expect(card).to_have_attribute("data-state", "healthy")
    expect(card.locator(".okey-hint")).to_have_text(HINT)
    expect(card).to_contain_text("1 000")
    expect(page.locator("#okey-api-key")).to_have_value("")
    assert SECRET not in page.content()  # never echoed back
    listed = _api(app_server, "/api/v1/provider-keys", token)
    assert [k["key_hint"] for k in listed] == [HINT]  # type: ignore[index,union-attr]

    fake_llm.fail(SECRET, 401)
    try:
        for n in range(3):
            turn = _api(app_server, f"/api/v1/assistants/{assistant}/chat", token,
                        {"text": f"Own key question {n}?", "conversation_id": f"own-key-{n}"})  # fmt: skip
            # a key serves the model, so no OPENAI_API_KEY fallback: the offline answerer replies
            assert turn["outcome"] == "fallback"  # type: ignore[index]
    finally:
        fake_llm.failures.pop(SECRET, None)
    page.reload()
    expect(card).to_have_attribute("data-state", "parked")
    reason = card.locator(".okey-parked-reason")
    expect(reason).to_contain_text("3 authentication failures in a row (HTTP 401)")
    expect(card.locator(".okey-requests")).to_contain_text("3")
    page.screenshot(path=str(ARTIFACTS / "owner_keys_parked.png"), full_page=True)

    page.add_init_script("localStorage.setItem('chatai_lang', 'ru')")
    page.reload()
    expect(card.locator(".rt-Badge").first).to_have_text("Отключён")
    english_message = reason.inner_text().split("(HTTP 401)", 1)[1]
    expect(reason).to_have_text(f"Ошибок авторизации подряд: 3 (HTTP 401){english_message}")
    page.set_viewport_size({"width": 390, "height": 844})
    page.screenshot(path=str(ARTIFACTS / "owner_keys_phone_ru.png"), full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.locator("#phone-menu").click()
    expect(page.locator(".phone-nav-item[data-nav='own_keys']")).to_be_visible()
    page.keyboard.press("Escape")

    card.locator(".okey-unpark").click()
    expect(card).to_have_attribute("data-state", "healthy")
    card.locator(".okey-disable").click()
    expect(card).to_have_attribute("data-state", "disabled")
    expect(card.locator(".rt-Badge").first).to_have_text("Выключен")
    page.screenshot(path=str(ARTIFACTS / "owner_keys_disabled_phone_ru.png"), full_page=True)
    assert [k["enabled"] for k in _api(app_server, "/api/v1/provider-keys", token)] == [False]  # type: ignore[index,union-attr]
    card.locator(".okey-enable").click()
    expect(card).to_have_attribute("data-state", "healthy")
    card.locator(".okey-delete").click()
    expect(page.locator(".rt-AlertDialogContent")).to_contain_text(HINT)
    page.locator(".confirm-action").click()
    expect(page.locator(".own-key")).to_have_count(0)
    expect(page.locator(".empty-state")).to_contain_text("Своих ключей пока нет")
    assert _api(app_server, "/api/v1/provider-keys", token) == []
    context.close()
