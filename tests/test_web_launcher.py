"""`chatai run` rebuilds the frontend only when what it is built from changed."""

from __future__ import annotations

from pathlib import Path

import pytest

from chatai_app import web_launcher


def test_an_unchanged_build_is_reused_and_a_changed_url_rebuilds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REFLEX_WEB_WORKDIR", str(tmp_path))
    monkeypatch.delenv("PUBLIC_URL", raising=False)
    current = web_launcher.fingerprint()
    assert current == web_launcher.fingerprint()  # stable
    assert not web_launcher.build_is_current(current)  # nothing built yet
    (tmp_path / "build" / "client").mkdir(parents=True)
    (tmp_path / web_launcher.FINGERPRINT_FILE).write_text(current)
    assert web_launcher.build_is_current(current)
    monkeypatch.setenv("PUBLIC_URL", "https://chat.example.com")  # baked into the bundle: a new build
    assert not web_launcher.build_is_current(web_launcher.fingerprint())
