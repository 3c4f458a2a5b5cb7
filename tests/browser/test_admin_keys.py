"""Issue 14, the AI provider key pool in Chromium against a real `chatai run`: a platform admin adds two keys at
/admin/keys; the first one's provider refuses it (401), so each message is answered with the second key and after
three messages the first is parked with the reason shown; the admin sees a key's usage by day, edits a limit, puts
the key back in rotation and deletes it (confirmed). Screenshots (desktop, 390 px, Russian) go to
test-artifacts/screens."""

from __future__ import annotations

import json
import urllib.request

import pytest
from playwright.sync_api import Browser, expect

from tests.browser.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, ROOT, RunningApp
from tests.fakes.openai_server import FakeOpenAIServer

pytestmark = pytest.mark.browser

ARTIFACTS = ROOT / "test-artifacts" / "screens"
OWNER, OWNER_PASSWORD = "keys-owner@example.com", "keys owner pass 14"
MODEL = "pool-model"  # only this test's assistant uses it: the other browser tests keep the settings key
REVOKED, GOOD = "sk-browser-revoked-1", "sk-browser-good-002"
REVOKED_HINT, GOOD_HINT = "sk-…ed-1", "sk-…-002"


def _api(app: RunningApp, path: str, token: str | None = None, body: dict | None = None, method: str = "") -> object:
    headers = {"Content-Type": "application/json", **({"Authorization": f"Bearer {token}"} if token else {})}
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(app.url + path, data=data, headers=headers, method=method or None)
    with urllib.request.urlopen(request, timeout=30) as response:
        raw = response.read()
    return json.loads(raw) if raw else None


def _assistant_on_the_pool_model(app: RunningApp) -> tuple[str, str]:
    body = {"email": OWNER, "password": OWNER_PASSWORD, "full_name": "Key Owner", "workspace_name": "Key shop"}
    token = str(_api(app, "/api/v1/auth/signup", body=body)["access_token"])  # type: ignore[index]
    assistant = str(_api(app, "/api/v1/assistants", token, {"name": "Pool helper"})["id"])  # type: ignore[index]
    _api(app, f"/api/v1/assistants/{assistant}", token, {"provider": "openai", "model": MODEL}, method="PATCH")
    return token, assistant


def test_admin_adds_keys_sees_a_parked_key_and_manages_it(
    browser: Browser, app_server: RunningApp, fake_llm: FakeOpenAIServer
) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    token, assistant = _assistant_on_the_pool_model(app_server)
    context = browser.new_context(base_url=app_server.url, viewport={"width": 1366, "height": 900})
    admin = context.new_page()
    admin.set_default_timeout(30_000)
    admin.goto("/login")
    admin.fill("#email", ADMIN_EMAIL)
    admin.fill("#password", ADMIN_PASSWORD)
    admin.click("#login-submit")
    expect(admin.locator("#dashboard-heading")).to_be_visible()
    admin.goto("/admin/keys")

    for api_key, priority in ((REVOKED, "1"), (GOOD, "2")):
        admin.fill("#key-base-url", fake_llm.base_url)
        admin.fill("#key-api-key", api_key)
        admin.fill("#key-models", MODEL)
        admin.fill("#key-priority", priority)
        admin.fill("#key-daily_request_limit", "1000")
        admin.click("#key-add")
        expect(admin.locator(f".pool-key-row[data-hint='{api_key[:3]}…{api_key[-4:]}']")).to_be_visible()
    revoked, good = (admin.locator(f".pool-key-row[data-hint='{h}']") for h in (REVOKED_HINT, GOOD_HINT))
    expect(revoked).to_have_attribute("data-state", "healthy")
    assert REVOKED not in admin.content()  # never shown in clear

    fake_llm.fail(REVOKED, 401)
    try:
        for n in range(3):
            turn = _api(app_server, f"/api/v1/assistants/{assistant}/chat", token,
                        {"text": f"Question number {n}?", "conversation_id": f"pool-{n}"})  # fmt: skip
            assert turn["outcome"] == "answered"  # type: ignore[index]
    finally:
        fake_llm.failures.pop(REVOKED, None)
    admin.reload()
    expect(revoked).to_have_attribute("data-state", "parked")
    expect(revoked.locator(".key-parked-reason")).to_contain_text("3 authentication failures in a row (HTTP 401)")
    expect(good.locator(".key-requests")).to_contain_text("3")
    admin.screenshot(path=str(ARTIFACTS / "admin_keys_parked.png"), full_page=True)
    admin.set_viewport_size({"width": 390, "height": 844})
    admin.screenshot(path=str(ARTIFACTS / "admin_keys_phone.png"), full_page=True)
    assert admin.evaluate("document.documentElement.scrollWidth") <= 390
    admin.set_viewport_size({"width": 1366, "height": 900})
    admin.add_init_script("localStorage.setItem('chatai_lang', 'ru')")
    admin.reload()
    expect(revoked.locator(".rt-Badge").first).to_have_text("Отключён")
    expect(revoked.locator(".key-parked-reason")).to_contain_text("Ошибок авторизации подряд: 3 (HTTP 401)")
    admin.screenshot(path=str(ARTIFACTS / "admin_keys_parked_ru.png"), full_page=True)

    good.locator(".key-edit").click()
    expect(admin.locator("#key-history .key-day")).to_have_count(1)
    expect(admin.locator("#key-history .key-day")).to_contain_text("3 запросов")
    admin.fill("#edit-daily_token_limit", "50000")
    admin.click("#edit-save")
    expect(good).to_contain_text("50 000")
    revoked.locator(".key-unpark").click()
    expect(revoked).to_have_attribute("data-state", "healthy")
    revoked.locator(".key-delete").click()
    admin.locator(".confirm-action").click()
    expect(revoked).to_have_count(0)
    expect(good).to_be_visible()
    good.locator(".key-delete").click()  # leave the shared app's pool as it was
    admin.locator(".confirm-action").click()
    expect(admin.locator(".pool-key-row")).to_have_count(0)
    context.close()
