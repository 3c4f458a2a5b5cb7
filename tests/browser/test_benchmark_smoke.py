"""The benchmarks that need the real `chatai run` and a browser, at their smallest, on the browser tests' own
running app and Chromium (seconds: no second app start). No timing assertions: a benchmark that breaks fails
here; its numbers come from `python -m benchmarks.<name>`. The other benchmarks: tests/test_benchmark_smoke.py."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser

from benchmarks import inbox_latency, startup
from tests.browser.conftest import RunningApp

pytestmark = pytest.mark.browser


def test_inbox_latency_smallest(app_server: RunningApp, browser: Browser) -> None:
    result = inbox_latency.measure(app_server, browser, connections=2, samples=1, pause_s=0)
    assert (result["connections"], result["samples"], result["observations"]) == (2, 1, 2)
    assert result["max_ms"] >= result["p50_ms"] >= 0


def test_startup_reads_first_page_and_memory(app_server: RunningApp) -> None:
    assert startup._first_page_s(app_server) > 0
    memory = startup.memory(app_server)
    assert memory["rss_total_mib"] > memory["rss_mib"]["embedded postgres (all)"] > 0  # type: ignore[index]
