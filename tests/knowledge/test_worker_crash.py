"""kill -9 of the job worker in the middle of an ingestion: a new worker notices the stalled job within seconds
(not ~2 minutes) and resumes after the batches already stored (not from page 0)."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psycopg

from chatai_app.services.knowledge.evaluation import article_text
from tests.knowledge.conftest import Workspace, xquad
from tests.knowledge.test_pipeline import _add, _documents

ROOT = Path(__file__).resolve().parents[2]


def _worker(url: str, log: Path) -> subprocess.Popen[bytes]:
    env = dict(os.environ, DATABASE_URL=url, PYTHONUNBUFFERED="1")
    return subprocess.Popen(
        [sys.executable, "-m", "chatai_app.worker"], cwd=ROOT, env=env, stdout=log.open("wb"),
        stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip


def _one(url: str, sql: str) -> object:
    with psycopg.connect(url) as conn:
        return conn.execute(sql).fetchone()[0]


async def _until(predicate: object, within_s: float, what: str) -> float:
    started = time.monotonic()
    while time.monotonic() - started < within_s:
        if predicate():  # type: ignore[operator]
            return time.monotonic() - started
        await asyncio.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


async def test_a_killed_worker_s_ingestion_resumes_within_seconds(
    shop: Workspace, clean_db: str, tmp_path: Path
) -> None:
    text = "\n\n".join(article_text(article) for article in xquad("en")["data"][:8])
    first = _worker(clean_db, tmp_path / "worker-1.log")
    second = None
    try:
        await _until(lambda: _one(clean_db, "SELECT count(*) FROM procrastinate_workers"), 30, "the worker")
        await _add(shop, "long.txt", text.encode())
        await _until(lambda: _one(clean_db, "SELECT count(*) FROM ingestion_batches") >= 1, 60, "a stored batch")
        first.send_signal(signal.SIGKILL)
        first.wait(10)
        killed = time.monotonic()
        stored = _one(clean_db, "SELECT count(*) FROM ingestion_batches")
        assert (await _documents(shop))[0].status == "processing"

        second = _worker(clean_db, tmp_path / "worker-2.log")
        retried = await _until(
            lambda: "retrying stalled job" in (tmp_path / "worker-2.log").read_text(), 40, "the stalled job's retry"
        )
        await _until(lambda: _one(clean_db, "SELECT status FROM documents") == "ready", 120, "the document")
        done = time.monotonic() - killed
    finally:
        for process in (first, second):
            if process is not None and process.poll() is None:
                process.send_signal(signal.SIGTERM)
                process.wait(30)
    log = (tmp_path / "worker-2.log").read_text()
    assert "resumed," in log, log
    resumed = int(log.split("resumed, ")[1].split(" of ")[0])
    assert resumed >= stored * 16 - 16, (resumed, stored)
    assert _one(clean_db, "SELECT count(*) FROM ingestion_batches") == 0
    chunks = _one(clean_db, "SELECT count(*) FROM knowledge_chunks")
    assert (await _documents(shop))[0].chunk_count == chunks
    print(f"\nworker killed after {stored} stored batches; job retried {retried:.1f} s after the kill (new worker "
          f"included), {resumed} of {chunks} chunks reused, document ready {done:.1f} s after the kill")  # fmt: skip
    assert retried < 25
