"""Knowledge helpers: the job queue run to the end, the bundled XQuAD data. The `shop` and `rival` workspace fixtures
live in the root conftest; `Workspace` and `make_workspace` are re-exported for the modules importing them here."""

from __future__ import annotations

import json

from chatai_app.data import XQUAD_DIR
from chatai_app.worker import run_until_idle
from tests.conftest import Workspace, make_workspace

__all__ = ["Workspace", "drain_queue", "make_workspace", "xquad"]


async def drain_queue() -> None:
    await run_until_idle()


def xquad(language: str) -> dict:
    return json.loads((XQUAD_DIR / f"xquad-dev.{language}.json").read_text(encoding="utf-8"))
