"""The knowledge page: upload through the browser, watch progress reach ready, search with sources."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.knowledge import files

pytestmark = pytest.mark.browser


def test_upload_with_live_status_then_search(page: Page, tmp_path: Path) -> None:
    page.goto("/signup")
    page.fill("#email", "kb-owner@example.com")
    page.fill("#password", "kb owner password")
    page.click("#signup-submit")
    expect(page.locator("#dashboard-heading")).to_be_visible()

    page.goto("/assistants")
    page.fill("#name", "Flower shop bot")
    page.click("#assistant-create")
    expect(page.locator("#knowledge-heading")).to_contain_text("Flower shop bot")

    good = tmp_path / "delivery.pdf"
    good.write_bytes(files.make_pdf([["Bouquets are delivered within three hours across the city."]]))
    bad = tmp_path / "macro.docx"
    bad.write_bytes(files.with_macros(files.make_docx("Macro", ["x"])))
    page.set_input_files("#kb_upload input[type=file]", [str(good), str(bad)])
    page.click("#kb-upload-button")

    expect(page.locator(".upload-error")).to_contain_text("macro.docx: the document contains macros")
    row = page.locator(".document-row", has_text="delivery.pdf")
    expect(row).to_contain_text("ready", timeout=60_000)  # updated live by the background watcher

    page.fill("#kb-query", "how fast are bouquets delivered")
    page.keyboard.press("Enter")
    result = page.locator(".search-result").first
    expect(result).to_contain_text("three hours")
    expect(result).to_contain_text("delivery.pdf")
    expect(result).to_contain_text("p. 1")
