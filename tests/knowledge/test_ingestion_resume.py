"""A job that dies halfway (worker killed, database lost) resumes after the last stored batch, not from page 0."""

from __future__ import annotations

import psycopg
import pytest

from chatai_app.services.knowledge import embeddings, ingestion
from chatai_app.services.knowledge.evaluation import article_text
from tests.knowledge.conftest import Workspace, xquad
from tests.knowledge.test_pipeline import _add, _documents, _search


class Killed(Exception):
    """Stands in for the worker dying in the middle of the embedding."""


def _rows(url: str, sql: str) -> list[tuple]:
    with psycopg.connect(url) as conn:
        return conn.execute(sql).fetchall()


@pytest.fixture
def embed_calls(monkeypatch: pytest.MonkeyPatch) -> dict[str, object]:
    """Counts the embedding calls (batches) and can fail the n-th one."""
    provider = embeddings.provider_for("")
    real = provider.embed_passages
    state: dict[str, object] = {"calls": 0, "fail_at": None}

    async def counting(texts: list[str]) -> list[list[float]]:
        state["calls"] = int(state["calls"]) + 1  # type: ignore[call-overload]
        if state["calls"] == state["fail_at"]:
            raise Killed("worker killed")
        return await real(texts)

    monkeypatch.setattr(provider, "embed_passages", counting)
    return state


async def test_a_job_that_died_resumes_after_the_stored_batches(
    shop: Workspace, clean_db: str, embed_calls: dict[str, object]
) -> None:
    articles = xquad("en")["data"]
    text = "\n\n".join(article_text(article) for article in articles[:14])
    document = await _add(shop, "articles.txt", text.encode())
    chunks = len(ingestion.chunk_blocks(ingestion.extract_blocks("text", text.encode(), "articles.txt")))
    batches = -(-chunks // embeddings.EMBED_BATCH)
    assert batches >= 4, chunks

    embed_calls["fail_at"] = 3  # two batches stored, the third one dies
    with pytest.raises(Killed):
        await ingestion.ingest_document(document.id)
    staged = _rows(clean_db, "SELECT start FROM ingestion_batches ORDER BY start")
    assert [row[0] for row in staged] == [0, embeddings.EMBED_BATCH]
    assert _rows(clean_db, "SELECT count(*) FROM knowledge_chunks") == [(0,)]  # nothing half-done is searchable
    progress_after_crash = (await _documents(shop))[0].progress
    assert progress_after_crash > 0.05

    embed_calls.update(calls=0, fail_at=None)
    assert await ingestion.ingest_document(document.id) == "ready"
    assert embed_calls["calls"] == batches - 2  # only what was missing
    doc = (await _documents(shop))[0]
    assert doc.status == "ready" and doc.chunk_count == chunks
    assert _rows(clean_db, "SELECT count(*) FROM ingestion_batches") == [(0,)]
    ordinals = [row[0] for row in _rows(clean_db, "SELECT ordinal FROM knowledge_chunks ORDER BY ordinal")]
    assert ordinals == list(range(chunks))
    question = articles[2]["paragraphs"][0]["qas"][0]
    hits = await _search(shop, question["question"])
    assert any(answer["text"] in hits[0].text for answer in question["answers"])


async def test_stored_batches_of_other_texts_or_models_are_not_reused(
    shop: Workspace, clean_db: str, embed_calls: dict[str, object]
) -> None:
    text = "\n\n".join(article_text(article) for article in xquad("en")["data"][:5])
    document = await _add(shop, "article.txt", text.encode())
    chunks = len(ingestion.chunk_blocks(ingestion.extract_blocks("text", text.encode(), "article.txt")))
    batches = -(-chunks // embeddings.EMBED_BATCH)
    assert batches >= 2

    embed_calls["fail_at"] = 2
    with pytest.raises(Killed):
        await ingestion.ingest_document(document.id)
    with psycopg.connect(clean_db) as conn:  # as if the chunking had changed since
        conn.execute("UPDATE ingestion_batches SET texts_hash = 'other'")
    embed_calls.update(calls=0, fail_at=None)
    assert await ingestion.ingest_document(document.id) == "ready"
    assert embed_calls["calls"] == batches
