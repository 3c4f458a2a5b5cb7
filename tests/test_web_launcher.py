"""`chatai run` rebuilds the frontend only when what it is built from changed, and a web worker forked right after
start-up works (the warm start forks granian's workers seconds after the app is imported)."""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

import psycopg
import pytest

from chatai_app import web_launcher
from chatai_app.services import logbook


@pytest.fixture
def web_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("REFLEX_WEB_WORKDIR", str(tmp_path))
    monkeypatch.delenv("PUBLIC_URL", raising=False)
    monkeypatch.setattr(web_launcher, "state_schema", lambda: "schema-1")
    return tmp_path


def _built(web_dir: Path, fingerprint: str, schema: str = "schema-1") -> None:
    (web_dir / "build" / "client").mkdir(parents=True, exist_ok=True)
    (web_dir / web_launcher.FINGERPRINT_FILE).write_text(json.dumps({"fingerprint": fingerprint, "schema": schema}))


def test_an_unchanged_build_is_reused_and_a_changed_url_rebuilds(
    web_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    current = web_launcher.fingerprint()
    assert current == web_launcher.fingerprint()  # stable
    assert not web_launcher.build_is_current(current)  # nothing built yet
    _built(web_dir, current)
    assert web_launcher.build_is_current(current)
    monkeypatch.setenv("PUBLIC_URL", "https://chat.example.com")  # baked into the bundle: a new build
    assert not web_launcher.build_is_current(web_launcher.fingerprint())


def test_a_changed_state_tree_rebuilds_even_when_the_files_look_the_same(
    web_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _built(web_dir, web_launcher.fingerprint())
    monkeypatch.setattr(web_launcher, "state_schema", lambda: "schema-2")  # a var or handler the bundle lacks
    assert not web_launcher.build_is_current(web_launcher.fingerprint())


def test_the_console_sources_count_and_the_backend_only_ones_do_not() -> None:
    files = {p.relative_to(web_launcher.ROOT).as_posix() for p in web_launcher._frontend_files()}
    assert {"rxconfig.py", "chatai_app/chatai_app.py", "chatai_app/state/inbox.py", "assets/chatai.css"} <= files
    assert any(f.startswith("chatai_app/pages/") for f in files)
    assert not any(f.startswith(("chatai_app/services/", "chatai_app/api/", "chatai_app/models/")) for f in files)


def test_a_forked_process_writes_its_own_log_records(clean_db: str) -> None:
    """Granian forks the web workers from the process that imported the app (and installed the log handler): the
    parent's writer thread does not survive the fork, so the child starts its own."""
    handler = logbook.install(clean_db, "fork test")
    assert handler is not None
    try:
        pid = os.fork()
        if pid == 0:  # the child: log, wait for the write, leave without running pytest's exit handlers
            code = 1
            try:
                logging.getLogger("chatai_app.test").info("written by the forked child %s", os.getpid())
                assert logbook._installed is not None
                logbook._installed.flush_now()
                code = 0
            finally:
                os._exit(code)
        _, status = os.waitpid(pid, 0)
        assert os.waitstatus_to_exitcode(status) == 0
        with psycopg.connect(clean_db) as connection:
            found = connection.execute("SELECT message FROM log_records WHERE message LIKE 'written by the forked%'")
            assert [row[0] for row in found] == [f"written by the forked child {pid}"]
    finally:
        logging.getLogger().removeHandler(handler)
        logbook._installed = None
