"""Engine fixtures: the knowledge workspaces and a local OpenAI-compatible server."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from chatai_app.settings import get_settings
from tests.fakes.openai_server import FakeOpenAIServer, running_fake_openai


@pytest.fixture
def fake_llm() -> Iterator[FakeOpenAIServer]:
    with running_fake_openai() as server:
        os.environ["OPENAI_BASE_URL"], os.environ["OPENAI_API_KEY"] = server.base_url, "test"
        get_settings.cache_clear()
        yield server
        del os.environ["OPENAI_BASE_URL"], os.environ["OPENAI_API_KEY"]
        get_settings.cache_clear()
