"""A restart with unchanged sources reuses the built frontend (no compile, no bundle), and the console works after
it: the page's websocket carries a sign-in (an event whose handler reads the database in the forked web worker)
and the live inbox that follows."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from chatai_app import web_launcher
from tests.browser.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, RunningApp

pytestmark = pytest.mark.browser


def test_a_warm_restart_serves_the_existing_build_and_the_console_works(page: Page, app_server: RunningApp) -> None:
    sources = web_launcher.fingerprint()
    app_server.stop()
    offset = app_server.log_path.stat().st_size
    app_server.start()
    restart_log = app_server._new_output(offset)
    if web_launcher.fingerprint() == sources:  # (a checkout edited meanwhile rebuilds, rightly)
        assert "frontend unchanged: serving the existing build" in restart_log, restart_log[-3000:]
        assert "Creating Production Build" not in restart_log

    page.goto("/login")
    page.fill("#email", ADMIN_EMAIL)
    page.fill("#password", ADMIN_PASSWORD)
    page.click("#login-submit")
    expect(page.locator("#dashboard-heading")).to_be_visible()
    page.goto("/inbox")
    expect(page.locator("#queue-count")).to_be_visible()
