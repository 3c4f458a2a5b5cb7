"""Operators assigned to assistants (issue 14) in Chromium against a real `chatai run`: the owner restricts an
operator to one of two assistants on the Team page; the operator's inbox shows that assistant's waiting dialog
and not the other's. Screenshots of the picker (EN desktop, RU phone) and of the operator's inbox."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, ROOT, RunningApp
from tests.browser.test_team_security import _api, _log_in, _mailed_link, _token

pytestmark = pytest.mark.browser

ARTIFACTS = ROOT / "test-artifacts" / "screens"
OWNER, OWNER_PASSWORD = "assign-owner@example.com", "owner pass phrase 15"
OPERATOR, OPERATOR_PASSWORD = "assign-operator@example.com", "operator pass phrase 15"


def _waiting_dialog(app: RunningApp, token: str, assistant_id: str, conversation: str) -> str:
    turn = _api(app, f"/api/v1/assistants/{assistant_id}/chat", token,
                {"text": "Operator please", "conversation_id": conversation})  # fmt: skip
    assert turn["outcome"] == "handoff", turn  # type: ignore[index]
    return str(turn["dialog_id"])  # type: ignore[index]


def _team_with_an_operator(page: Page, app: RunningApp) -> tuple[str, dict[str, str]]:
    """The owner (signed in on `page`, address confirmed), two assistants and an operator who joined."""
    admin_token = _token(app, ADMIN_EMAIL, ADMIN_PASSWORD)
    _api(app, "/api/v1/auth/signup", body={"email": OWNER, "password": OWNER_PASSWORD, "workspace_name": "Two desks"})
    page.goto(_mailed_link(app, admin_token, OWNER, "/verify-email"))
    expect(page.locator("#email-verified")).to_be_visible()
    token = _token(app, OWNER, OWNER_PASSWORD)
    assistants = {name: str(_api(app, "/api/v1/assistants", token, {"name": name})["id"])  # type: ignore[index]
                  for name in ("Support desk", "Sales desk")}  # fmt: skip
    _api(app, "/api/v1/team/invites", token, {"email": OPERATOR, "role": "operator"})
    link = _mailed_link(app, admin_token, OPERATOR, "/accept-invite")
    invite = link.split("token=", 1)[1]
    _api(app, "/api/v1/invites/accept", body={"token": invite, "password": OPERATOR_PASSWORD, "full_name": "Oleg"})
    return token, assistants


def test_an_operator_assigned_to_one_assistant_sees_only_its_dialogs(
    browser: Browser, page: Page, app_server: RunningApp
) -> None:
    token, assistants = _team_with_an_operator(page, app_server)
    support = _waiting_dialog(app_server, token, assistants["Support desk"], "assign-support")
    sales = _waiting_dialog(app_server, token, assistants["Sales desk"], "assign-sales")

    _log_in(page, OWNER, OWNER_PASSWORD)
    expect(page.locator("#dashboard-heading")).to_be_visible()
    page.goto("/team")
    row = page.locator(f".member-row[data-email='{OPERATOR}']")
    expect(row.locator(".member-assistants")).to_have_text("All")
    row.locator(".member-assistants").click()
    page.click("#assign-some")
    page.click("#assign-save")  # nothing ticked: refused with the reason, the picker stays open
    expect(page.locator("#assign-error")).to_contain_text("Choose at least one")
    page.locator(".assign-assistant[data-name='Sales desk']").click()
    page.screenshot(path=str(ARTIFACTS / "team-assistants-desktop-en.png"), full_page=True)
    page.click("#assign-save")
    expect(page.locator("#assign-dialog")).to_have_count(0)
    expect(row.locator(".member-assistants")).to_have_text("1 of 2")

    operator_context = browser.new_context(base_url=app_server.url)
    operator = operator_context.new_page()
    operator.set_default_timeout(30_000)
    _log_in(operator, OPERATOR, OPERATOR_PASSWORD)
    expect(operator).to_have_url(re.compile(r"/inbox/?$"))
    expect(operator.locator(f".inbox-item[data-dialog='{sales}']")).to_be_visible()
    expect(operator.locator(f".inbox-item[data-dialog='{support}']")).to_have_count(0)
    expect(operator.locator("#queue-count")).to_have_text("1")
    operator.screenshot(path=str(ARTIFACTS / "team-assistants-operator-inbox-en.png"), full_page=True)
    operator.goto("/dialogs")
    expect(operator.locator(f"[data-dialog='{sales}']").first).to_be_visible()
    expect(operator.locator(f"[data-dialog='{support}']")).to_have_count(0)
    operator_context.close()

    # back to every assistant; the picker in Russian on a phone
    page.set_viewport_size({"width": 390, "height": 844})
    page.add_init_script("localStorage.setItem('chatai_lang', 'ru')")
    page.reload()
    row.locator(".member-assistants").click()
    expect(page.locator("#assign-dialog")).to_contain_text("Диалоги каких ассистентов")
    page.screenshot(path=str(ARTIFACTS / "team-assistants-phone-ru.png"), full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.click("#assign-all")
    page.click("#assign-save")
    expect(row.locator(".member-assistants")).to_have_text("Все")
