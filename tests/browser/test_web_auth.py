"""Sign up, sign out, sign in, wrong password and restart, through the real built app in Chromium."""

from __future__ import annotations

import re

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, RunningApp

pytestmark = pytest.mark.browser

EMAIL, PASSWORD = "owner@example.com", "owner password 1"


def _log_in(page: Page, email: str, password: str) -> None:
    page.goto("/login")
    page.fill("#email", email)
    page.fill("#password", password)
    page.click("#login-submit")


def test_sign_up_sign_out_sign_in_and_wrong_password(page: Page) -> None:
    page.goto("/signup")
    page.fill("#full_name", "Olga")
    page.fill("#workspace_name", "Olga's Flowers")
    page.fill("#email", EMAIL)
    page.fill("#password", "short")
    page.click("#signup-submit")
    expect(page.locator("#password-error")).to_have_text("Use at least 8 characters")

    page.fill("#password", PASSWORD)
    page.click("#signup-submit")
    expect(page.locator("#dashboard-heading")).to_contain_text("Welcome, Olga")
    expect(page.locator("#tenant-name")).to_contain_text("Olga's Flowers")

    page.click("#user-menu")  # sign out lives in the user menu of the sidebar
    page.click("#sign-out")
    expect(page).to_have_url(re.compile(r"/login/?$"))
    page.goto("/")  # signed out, "/" shows the public landing page (issue 14), not the dashboard
    expect(page).to_have_url(re.compile(r"/welcome/?$"))
    expect(page.locator("#landing-signup")).to_be_visible()
    expect(page.locator("#dashboard-heading")).to_have_count(0)
    page.goto("/profile")  # the console's pages are guarded
    expect(page).to_have_url(re.compile(r"/login/?$"))

    _log_in(page, EMAIL, "wrong password")
    expect(page.locator("#login-error")).to_have_text("Invalid email or password")
    _log_in(page, "nobody@example.com", "wrong password")
    expect(page.locator("#login-error")).to_have_text("Invalid email or password")

    _log_in(page, EMAIL, PASSWORD)
    expect(page.locator("#dashboard-heading")).to_contain_text("Welcome, Olga")
    page.reload()  # the session survives a reload (cookie resolved on the backend)
    expect(page.locator("#nav-user-email")).to_have_text(EMAIL)


def test_interface_switches_to_russian(page: Page) -> None:
    page.goto("/login")
    page.get_by_role("radio", name="RU").click()
    expect(page.locator("#login-submit")).to_have_text("Войти")
    _log_in(page, "nobody@example.com", "wrong password")
    expect(page.locator("#login-error")).to_have_text("Неверная эл. почта или пароль")


def test_first_admin_was_created_from_the_environment(page: Page) -> None:
    _log_in(page, ADMIN_EMAIL, ADMIN_PASSWORD)
    expect(page.locator("#dashboard-heading")).to_be_visible()
    expect(page.get_by_text("Platform admin")).to_be_visible()


def test_restart_keeps_the_data(page: Page, app_server: RunningApp) -> None:
    """Its own account (made before the restart), so it passes alone and in any order."""
    email, password = "restart@example.com", "restart password 1"
    body = {"email": email, "password": password, "full_name": "Rita", "workspace_name": "Rita's Bakery"}
    signed_up = httpx.post(f"{app_server.url}/api/v1/auth/signup", json=body, timeout=30)
    assert signed_up.status_code == 201, signed_up.text
    app_server.stop()
    app_server.start()
    _log_in(page, email, password)
    expect(page.locator("#dashboard-heading")).to_contain_text("Welcome, Rita")
    expect(page.locator("#tenant-name")).to_contain_text("Rita's Bakery")
