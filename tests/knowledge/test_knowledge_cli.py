"""`chatai assistant create`, `chatai kb add` and `chatai kb search`, run as a script would run them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.knowledge import files


def _chatai(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, DATABASE_URL=url)
    return subprocess.run(
        [sys.executable, "-m", "chatai_app.cli", *args], env=env, capture_output=True, text=True, timeout=300
    )


def test_cli_adds_waits_and_searches(clean_db: str, tmp_path: Path) -> None:
    assert (
        _chatai(clean_db, "admin", "create", "--email", "ops@example.com", "--password", "ops password").returncode == 0
    )
    created = _chatai(clean_db, "assistant", "create", "--owner", "ops@example.com", "--name", "Ops", "--json")
    assistant_id = json.loads(created.stdout)["id"]

    (tmp_path / "hours.txt").write_text("# Hours\n\nThe warehouse opens at seven in the morning.", encoding="utf-8")
    (tmp_path / "prices.docx").write_bytes(files.make_docx("Prices", ["Delivery costs 500 roubles."]))
    (tmp_path / "evil.pdf").write_bytes(files.with_javascript(files.make_pdf([["hello"]])))
    added = _chatai(clean_db, "kb", "add", "--assistant", assistant_id, *(str(p) for p in sorted(tmp_path.iterdir())))
    assert added.returncode == 1  # one file failed, and it is named
    assert "failed" in added.stderr and "evil.pdf" in added.stderr and "JavaScript" in added.stderr
    assert "ready  hours.txt" in added.stdout and "ready  prices.docx" in added.stdout
    assert "100.0%" in added.stderr  # the progress bar reached the end

    found = _chatai(
        clean_db, "kb", "search", "--assistant", assistant_id, "--k", "1", "--json", "when does the warehouse open"
    )
    assert json.loads(found.stdout)[0]["document"] == "hours.txt"

    batch = tmp_path / "questions.txt"
    batch.write_text("how much is delivery\nwhen does it open\n", encoding="utf-8")
    lines = _chatai(clean_db, "kb", "search", "--assistant", assistant_id, "--k", "2", "--jsonl", "--batch", str(batch))
    results = [json.loads(line) for line in lines.stdout.splitlines()]
    assert [r["question"] for r in results] == ["how much is delivery", "when does it open"]
    assert results[0]["results"][0]["document"] == "prices.docx"
    assert {"text", "document", "page", "score"} <= set(results[0]["results"][0])


def test_cli_reports_an_unknown_assistant(clean_db: str) -> None:
    result = _chatai(clean_db, "kb", "search", "--assistant", "00000000-0000-0000-0000-000000000000", "x")
    assert result.returncode == 1 and "not found" in result.stderr
