"""Issue 14 end to end in Chromium against a real `chatai run` (no SMTP: the mail waits in the outbox, read by a
platform admin): an owner confirms their e-mail and invites an operator; the operator joins, turns on two-factor,
signs in with a TOTP code and sees only the inbox and dialogs; a platform admin blocks the owner and the workspace:
the owner can no longer sign in and the workspace's widget answers with the blocked notice."""

from __future__ import annotations

import functools
import http.server
import json
import re
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pyotp
import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, RunningApp, _free_port

pytestmark = pytest.mark.browser

OWNER, OWNER_PASSWORD = "team-owner@example.com", "owner pass phrase 14"
OPERATOR, OPERATOR_PASSWORD = "team-operator@example.com", "operator pass phrase 14"


@pytest.fixture
def static_site(tmp_path: Path) -> Iterator[tuple[str, Path]]:
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


def _token(app: RunningApp, email: str, password: str) -> str:
    return str(_api(app, "/api/v1/auth/login", body={"email": email, "password": password})["access_token"])  # type: ignore[index]


def _mailed_link(app: RunningApp, admin_token: str, to: str, path: str) -> str:
    """The newest link to `path` in the outbox for `to` (no SMTP configured: the admins' outbox holds it)."""
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        mails = _api(app, "/api/v1/admin/outbox?q=" + urllib.parse.quote(to), admin_token)
        for mail in mails:  # type: ignore[union-attr]
            if found := re.search(rf"{re.escape(path)}\?token=[\w.-]+", mail["body_text"]):
                assert mail["status"] == "held"
                return found[0]
        time.sleep(0.3)
    raise AssertionError(f"no {path} e-mail to {to}")


def _log_in(page: Page, email: str, password: str) -> None:
    page.goto("/login")
    page.fill("#email", email)
    page.fill("#password", password)
    page.click("#login-submit")


def _fresh_code(totp: pyotp.TOTP, used: set[str]) -> str:
    """A code of a time step not used yet (the server refuses a code twice)."""
    while (code := totp.now()) in used:
        time.sleep(1)
    used.add(code)
    return code


def test_invite_operator_two_factor_and_admin_blocking(
    browser: Browser, page: Page, app_server: RunningApp, static_site: tuple[str, Path]
) -> None:
    admin_token = _token(app_server, ADMIN_EMAIL, ADMIN_PASSWORD)

    # The owner signs up; inviting waits for a confirmed address.
    page.goto("/signup")
    page.fill("#full_name", "Team Owner")
    page.fill("#workspace_name", "Blocked Flowers")
    page.fill("#email", OWNER)
    page.fill("#password", OWNER_PASSWORD)
    page.click("#signup-submit")
    expect(page.locator("#dashboard-heading")).to_be_visible()
    page.goto("/team")
    page.fill("#invite-email", OPERATOR)
    page.click("#invite-submit")
    expect(page.get_by_text("Confirm your e-mail address first")).to_be_visible()
    page.goto(_mailed_link(app_server, admin_token, OWNER, "/verify-email"))
    expect(page.locator("#email-verified")).to_be_visible()

    page.goto("/team")
    page.fill("#invite-email", OPERATOR)
    page.click("#invite-submit")
    expect(page.locator(f".invite-row[data-email='{OPERATOR}']")).to_be_visible()
    invite_link = _mailed_link(app_server, admin_token, OPERATOR, "/accept-invite")

    # The operator joins from the link, turns on two-factor and signs in with a code.
    operator_context = browser.new_context(base_url=app_server.url)
    operator = operator_context.new_page()
    operator.set_default_timeout(30_000)
    operator.goto(invite_link)
    expect(operator.locator("#invite-workspace")).to_have_text("Blocked Flowers")
    operator.fill("#full_name", "Olga Operator")
    operator.fill("#password", OPERATOR_PASSWORD)
    operator.click("#accept-submit")
    expect(operator).to_have_url(re.compile(r"/inbox/?$"))
    operator.goto("/security")
    operator.click("#totp-start")
    expect(operator.locator("#totp-qr")).to_be_visible()
    totp, used = pyotp.TOTP(operator.locator("#totp-secret").inner_text().strip()), set()
    operator.fill("#totp-code", _fresh_code(totp, used))
    operator.click("#totp-confirm")
    expect(operator.locator("#recovery-codes .recovery-code")).to_have_count(10)
    expect(operator.locator("#totp-status")).to_be_visible()
    operator.click("#user-menu")
    operator.click("#sign-out")
    expect(operator).to_have_url(re.compile(r"/login/?$"))
    _log_in(operator, OPERATOR, OPERATOR_PASSWORD)
    expect(operator.locator("#code-submit")).to_be_visible()
    operator.fill("#code", _fresh_code(totp, used))
    operator.click("#code-submit")
    expect(operator.locator("aside [data-nav=inbox]")).to_be_visible()
    expect(operator.locator("aside [data-nav=dialogs]")).to_be_visible()
    for hidden in ("dashboard", "assistants", "billing", "team", "knowledge_gaps", "admin_console", "admin_billing"):
        expect(operator.locator(f"aside [data-nav={hidden}]")).to_have_count(0)
    operator.goto("/team")
    expect(operator.locator("#no-access")).to_be_visible()
    operator_context.close()

    # The owner's assistant answers on a website before the block.
    owner_token = _token(app_server, OWNER, OWNER_PASSWORD)
    assistant = _api(app_server, "/api/v1/assistants", owner_token, {"name": "Flower helper"})
    site, site_dir = static_site
    (site_dir / "index.html").write_text(
        "<!doctype html><html><head><title>Shop</title></head><body><h1>Flowers</h1>"
        f'<script src="{app_server.url}/widget.js" data-assistant="{assistant["id"]}" async></script></body></html>',  # type: ignore[index]
        encoding="utf-8",
    )

    # A platform admin blocks the owner and the workspace, each with a reason and a confirmation.
    admin_context = browser.new_context(base_url=app_server.url)
    admin = admin_context.new_page()
    admin.set_default_timeout(30_000)
    _log_in(admin, ADMIN_EMAIL, ADMIN_PASSWORD)
    expect(admin.locator("#dashboard-heading")).to_be_visible()
    admin.goto("/admin")
    admin.fill("#admin-search", OWNER)
    admin.click("#admin-search-submit")
    workspace_row = admin.locator(f".admin-workspace-row[data-owner='{OWNER}']")
    expect(workspace_row).to_have_count(1)
    workspace_row.locator(".workspace-open").click()
    expect(admin.locator("#workspace-name-admin")).to_have_text("Blocked Flowers")
    admin.click("#workspace-block")
    admin.fill("#block-workspace-reason", "chargebacks")
    admin.click("#block-workspace-confirm")
    expect(admin.locator("#workspace-blocked-badge")).to_be_visible()
    user_row = admin.locator(f".admin-user-row[data-email='{OWNER}']")
    user_row.locator(".user-block").click()
    admin.fill("#block-user-reason", "chargebacks")
    admin.click("#block-user-confirm")
    expect(user_row.locator(".user-unblock")).to_be_visible()
    admin_context.close()

    # The owner's open session has ended and signing in is refused.
    page.goto("/team")
    expect(page).to_have_url(re.compile(r"/login/?$"))
    _log_in(page, OWNER, OWNER_PASSWORD)
    expect(page.locator("#login-error")).to_have_text("This account is blocked; contact support")

    # The workspace's widget answers with the notice.
    visitor_context = browser.new_context()
    visitor = visitor_context.new_page()
    visitor.set_default_timeout(30_000)
    visitor.goto(f"{site}/index.html")
    visitor.click("#chatai-widget .launcher")
    box = visitor.locator("#chatai-widget textarea")
    box.fill("Do you deliver roses today?")
    box.press("Enter")
    expect(visitor.locator(".msg[data-role=assistant]").last).to_contain_text("temporarily unavailable")
    visitor_context.close()
