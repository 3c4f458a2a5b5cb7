"""Billing page: balance with the welcome bonus, a refused promo code with its reason, history, CSV export;
the admin creates a promo code that the owner then redeems."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, RunningApp

pytestmark = pytest.mark.browser


def test_balance_promo_codes_history_and_csv(page: Page, browser: Browser, app_server: RunningApp) -> None:
    admin_context = browser.new_context(base_url=app_server.url)
    admin = admin_context.new_page()
    admin.goto("/login")
    admin.fill("#email", ADMIN_EMAIL)
    admin.fill("#password", ADMIN_PASSWORD)
    admin.click("#login-submit")
    expect(admin.locator("#dashboard-heading")).to_be_visible()
    admin.goto("/admin/billing")
    admin.fill("#new-code", "SPRING25")
    admin.fill("#new-code-value", "250")
    admin.click("#new-code-submit")
    expect(admin.locator("[data-sonner-toast]", has_text="Promo code created")).to_be_visible()
    expect(admin.locator(".promo-row", has_text="SPRING25")).to_contain_text("250.00 ₽")  # roubles, not minor units
    admin_context.close()

    page.goto("/signup")
    page.fill("#email", "payer@example.com")
    page.fill("#password", "payer password 1")
    page.click("#signup-submit")
    expect(page.locator("#dashboard-heading")).to_be_visible()
    page.goto("/billing")
    expect(page.locator("#balance")).to_contain_text("100.00")
    expect(page.locator("#plan-name")).to_have_text("Free")
    page.fill("#promo-code", "NOPE")
    page.click("#promo-submit")
    expect(page.locator("[data-sonner-toast]", has_text="This promo code does not exist")).to_be_visible()
    page.fill("#promo-code", "spring25")
    page.click("#promo-submit")
    expect(page.locator("#balance")).to_contain_text("350.00")
    expect(page.locator(".tx-row").first).to_contain_text("Promo code SPRING25")
    with page.expect_download() as download:
        page.click("#export-csv")
    content = Path(download.value.path()).read_text(encoding="utf-8")
    assert content.splitlines()[0] == "id,date,type,amount,balance_after,currency,reference"
    assert ",promo,250.00,350.00,RUB,Promo code SPRING25" in content
