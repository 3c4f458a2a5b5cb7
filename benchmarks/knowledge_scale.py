"""Ingestion rate and search latency at 100k chunks.

    python -m benchmarks.knowledge_scale [--chunks 100000] [--queries 200] [--pages 30] [--paragraphs 0]

Uses DATABASE_URL, or an embedded PostgreSQL in a temporary directory. Ingestion runs the real
pipeline (extract, chunk, embed with the offline model, store) on a generated multi-page PDF.
The 100k-chunk corpus is XQuAD text cut into windows, with vectors near the real embeddings of
their source paragraphs (so the vector space is clustered like real data); queries are real
XQuAD questions run through the real hybrid search. `--paragraphs N` builds the corpus from the first N
source paragraphs only (0: all of them), which keeps a smoke run to seconds.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import tempfile
import time
import uuid
from pathlib import Path

import numpy as np
import psycopg
from pgvector.psycopg import register_vector

from chatai_app.data import XQUAD_DIR as XQUAD


def _ensure_database() -> str:
    if not os.environ.get("DATABASE_URL"):
        from chatai_app.embedded_pg import start_embedded_postgres

        os.environ["DATABASE_URL"] = start_embedded_postgres(
            Path(tempfile.mkdtemp(prefix="chatai-bench-")), cleanup_mode="delete"
        )
    from chatai_app.migrations import upgrade_to_head

    upgrade_to_head(os.environ["DATABASE_URL"])
    return os.environ["DATABASE_URL"]


async def _workspace(name: str) -> tuple[uuid.UUID, uuid.UUID]:
    from chatai_app.db import session_scope
    from chatai_app.models import Tenant
    from chatai_app.services.assistants import create_assistant

    async with session_scope() as session:
        tenant = Tenant(name=name, slug=f"bench-{uuid.uuid4().hex[:10]}", plan_code="enterprise")
        session.add(tenant)
        await session.flush()
        assistant = await create_assistant(session=session, tenant_id=tenant.id, name=name)
    return tenant.id, assistant.id


def _paragraphs(limit: int = 0) -> list[str]:
    paragraphs = []
    for language in ("en", "ru"):
        data = json.loads((XQUAD / f"xquad-dev.{language}.json").read_text(encoding="utf-8"))
        paragraphs += [p["context"] for a in data["data"] for p in a["paragraphs"]]
    return paragraphs[:limit] if limit else paragraphs


async def measure_ingestion(pages: int = 30) -> dict[str, float]:
    from chatai_app.db import session_scope
    from chatai_app.services.knowledge.documents import add_document
    from chatai_app.services.knowledge.ingestion import ingest_document
    from tests.knowledge.files import make_pdf

    paragraphs = _paragraphs()
    pdf = make_pdf([paragraphs[i * 2 : i * 2 + 2] for i in range(pages)])
    tenant_id, assistant_id = await _workspace("ingest bench")
    async with session_scope() as session:
        document = await add_document(
            session=session, tenant_id=tenant_id, assistant_id=assistant_id, filename="bench.pdf", data=pdf
        )
    started = time.perf_counter()
    status = await ingest_document(document.id)
    elapsed = time.perf_counter() - started
    assert status == "ready", status
    chars = sum(len(p) for p in paragraphs[: pages * 2])
    return {"pages": pages, "seconds": round(elapsed, 2), "pages_per_s": round(pages / elapsed, 2),
            "chars_per_s": round(chars / elapsed)}  # fmt: skip


async def _base_vectors(paragraphs: list[str]) -> np.ndarray:
    from chatai_app.services.knowledge.embeddings import provider_for

    provider = provider_for("")
    vectors = []
    for start in range(0, len(paragraphs), 16):
        vectors += await provider.embed_passages(paragraphs[start : start + 16])
    return np.asarray(vectors, dtype=np.float32)


def _load_corpus(
    url: str, tenant_id: uuid.UUID, assistant_id: uuid.UUID, base: np.ndarray, paragraphs: list[str], n: int
) -> None:
    from chatai_app.models import Document
    from chatai_app.services.knowledge.embeddings import OFFLINE_MODEL

    rng = np.random.default_rng(7)
    with psycopg.connect(url) as conn:
        register_vector(conn)
        document_id = uuid.uuid4()
        conn.execute(
            f"INSERT INTO {Document.__tablename__} (id, tenant_id, assistant_id, filename, mime_type, size_bytes, "
            "content_hash, status, progress, error, page_count, chunk_count, storage_key) VALUES "
            "(%s, %s, %s, 'corpus.txt', 'text/plain', 0, %s, 'ready', 1, '', 0, %s, 'text')",
            (document_id, tenant_id, assistant_id, uuid.uuid4().hex, n),
        )
        with conn.cursor().copy(
            "COPY knowledge_chunks (tenant_id, assistant_id, document_id, ordinal, content, heading, embedding_model, "
            "embedding_dim, embedding, fts_config) FROM STDIN"
        ) as copy:
            for i in range(n):
                source = int(rng.integers(len(paragraphs)))
                text = paragraphs[source]
                start = int(rng.integers(0, max(1, len(text) - 600)))
                vector = base[source] + rng.normal(0, 0.02, base.shape[1]).astype(np.float32)
                vector /= np.linalg.norm(vector)
                config = "russian" if any("а" <= ch <= "я" for ch in text[:50]) else "english"
                copy.write_row(
                    (
                        tenant_id,
                        assistant_id,
                        document_id,
                        i,
                        text[start : start + 800],
                        "",
                        OFFLINE_MODEL,
                        384,
                        vector,
                        config,
                    )
                )
        conn.execute("ANALYZE knowledge_chunks")


async def measure_search(n_chunks: int, n_queries: int, n_paragraphs: int = 0) -> dict[str, object]:
    from chatai_app.db import session_scope
    from chatai_app.services.knowledge.retrieval import search

    url = os.environ["DATABASE_URL"]
    paragraphs = _paragraphs(n_paragraphs)
    tenant_id, assistant_id = await _workspace("search bench")
    base = await _base_vectors(paragraphs)
    started = time.perf_counter()
    await asyncio.to_thread(_load_corpus, url, tenant_id, assistant_id, base, paragraphs, n_chunks)
    load_s = time.perf_counter() - started
    questions = []
    for language in ("en", "ru"):
        data = json.loads((XQUAD / f"xquad-dev.{language}.json").read_text(encoding="utf-8"))
        questions += [q["question"] for a in data["data"] for p in a["paragraphs"] for q in p["qas"]]
    random.Random(3).shuffle(questions)
    result: dict[str, object] = {"chunks": n_chunks, "load_and_index_s": round(load_s, 1)}
    for mode in ("hybrid", "fts", "vector"):
        latencies = []
        for question in questions[:n_queries]:
            t0 = time.perf_counter()
            async with session_scope() as session:
                await search(
                    session=session, tenant_id=tenant_id, assistant_id=assistant_id, query=question, k=5, mode=mode
                )
            latencies.append((time.perf_counter() - t0) * 1000)
        latencies.sort()
        result[mode] = {
            "p50_ms": round(statistics.median(latencies), 1),
            "p95_ms": round(latencies[int(len(latencies) * 0.95)], 1),
        }
    return result


async def main(argv: list[str] | None = None) -> dict[str, object]:
    parser = argparse.ArgumentParser()
    parser.add_argument("--chunks", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--pages", type=int, default=30)
    parser.add_argument("--paragraphs", type=int, default=0, help="source paragraphs of the corpus (0: all)")
    args = parser.parse_args(argv)
    _ensure_database()
    report = {
        "ingestion": await measure_ingestion(args.pages),
        "search": await measure_search(args.chunks, args.queries, args.paragraphs),
    }
    print(json.dumps(report, indent=2))
    from chatai_app.db import dispose_engines

    await dispose_engines()
    return report


if __name__ == "__main__":
    asyncio.run(main())
