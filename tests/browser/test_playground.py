"""Playground: a streamed answer grounded in an uploaded document, with its source, offline and via an
OpenAI-compatible server (a local fake the app reaches over real HTTP)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.fakes.openai_server import FakeOpenAIServer

pytestmark = pytest.mark.browser


def _ask(page: Page, question: str, *, streamed: bool) -> None:
    page.fill("#message", question)
    page.keyboard.press("Enter")
    if streamed:  # a model that takes its time: tokens show while it is generated
        expect(page.locator("#streaming-answer")).to_be_visible()
    # The offline answer is ready in milliseconds (no fake typing), so there is no stream to catch.


def test_playground_streams_grounded_answers_offline_and_openai(
    page: Page, tmp_path: Path, fake_llm: FakeOpenAIServer
) -> None:
    page.goto("/signup")
    page.fill("#email", "playground@example.com")
    page.fill("#password", "playground password")
    page.click("#signup-submit")
    expect(page.locator("#dashboard-heading")).to_be_visible()
    page.goto("/assistants")
    page.fill("#name", "Courier bot")
    page.click("#assistant-create")
    knowledge = tmp_path / "tariffs.txt"
    knowledge.write_text(
        "# Tariffs\n\nExpress courier delivery costs 450 roubles and takes two hours.\n", encoding="utf-8"
    )
    page.set_input_files("#kb_upload input[type=file]", [str(knowledge)])
    page.click("#kb-upload-button")
    expect(page.locator(".document-row", has_text="tariffs.txt")).to_contain_text("ready", timeout=60_000)

    page.click("#to-playground")
    _ask(page, "How much is express courier delivery?", streamed=False)
    answer = page.locator(".assistant-message").last
    expect(answer).to_contain_text("450 roubles")
    expect(answer.locator(".source-link")).to_contain_text("tariffs.txt")
    expect(answer.locator(".message-meta")).to_contain_text(re.compile(r"\d+ \+ \d+ tokens · 1\.00 ₽"))

    page.go_back()
    page.click("#to-settings")
    page.click("#provider")
    page.get_by_role("option", name="openai").click()
    page.fill("#model", "fake-gpt")
    page.click("#settings-save")
    expect(page.get_by_text("Saved")).to_be_visible()

    page.go_back()
    page.click("#to-playground")
    expect(page.get_by_text("openai · fake-gpt")).to_be_visible()
    _ask(page, "How long does express delivery take?", streamed=True)
    answer = page.locator(".assistant-message").last
    expect(answer).to_contain_text("According to our knowledge base: Express courier delivery costs 450 roubles")
    expect(answer.locator(".source-link")).to_contain_text("tariffs.txt")
    assert any(path.endswith("/chat/completions") and body["model"] == "fake-gpt" for path, body in fake_llm.requests)
