"""A page's live task belongs to one process (chatai_app/state/live.py): a flag left by a dead or left node
must not stop the node the websocket is on now from serving the page (issue 17)."""

from __future__ import annotations

import subprocess
import sys

from chatai_app.state.live import claim, served_here


def test_a_task_claimed_in_this_process_serves_the_page_here() -> None:
    assert served_here(True, claim())
    assert not served_here(False, claim())  # its task ended (the flag was cleared)
    assert not served_here(True, "")  # state written before owners were recorded


def test_a_task_claimed_by_another_process_does_not_serve_the_page_here() -> None:
    other = subprocess.run(
        [sys.executable, "-c", "from chatai_app.state.live import claim; print(claim())"],
        capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    assert other and not served_here(True, other)


def test_every_claim_is_its_own_owner() -> None:
    first, second = claim(), claim()
    assert first != second and served_here(True, first) and served_here(True, second)
