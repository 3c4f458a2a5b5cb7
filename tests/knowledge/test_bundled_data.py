"""The evaluation data ships with the package (with its license notice); `chatai kb eval` reads it or --data."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import chatai_app
from chatai_app.cli import build_parser
from chatai_app.data import XQUAD_DIR
from tests.knowledge.conftest import xquad


def test_xquad_ships_inside_the_package_with_its_notice() -> None:
    assert XQUAD_DIR.is_relative_to(Path(chatai_app.__file__).resolve().parent)
    for language in ("ru", "en"):
        assert len(xquad(language)["data"]) == 24
    assert "CC BY-SA 4.0" in (XQUAD_DIR / "NOTICE.md").read_text(encoding="utf-8")


def test_kb_eval_defaults_to_the_bundled_data() -> None:
    assert build_parser().parse_args(["kb", "eval"]).data is None  # kb_eval then reads XQUAD_DIR


def test_kb_eval_takes_data_from_a_folder(clean_db: str, tmp_path: Path) -> None:
    subset = {"version": "1.1", "data": xquad("en")["data"][:1]}
    (tmp_path / "xquad-dev.en.json").write_text(json.dumps(subset), encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "chatai_app.cli", "kb", "eval", "--data", str(tmp_path), "--lang", "en", "--json"],
        env=dict(os.environ, DATABASE_URL=clean_db),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert str(tmp_path / "xquad-dev.en.json") in result.stderr
    [report] = json.loads(result.stdout)
    assert report["language"] == "en" and report["documents"] == 1
