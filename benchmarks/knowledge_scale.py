"""Ingestion rate and search latency at 100k chunks, each beside its floor measured in the same run.

    python -m benchmarks.knowledge_scale [--chunks 100000] [--queries 200] [--pages 30] [--paragraphs 0]
                                         [--corpus TENANT:ASSISTANT] [--out PATH|-]

Uses DATABASE_URL, or an embedded PostgreSQL in a temporary directory. Ingestion runs the real
pipeline (extract, chunk, embed with the offline model, store) on a generated multi-page PDF.
The 100k-chunk corpus is XQuAD text cut into windows, with vectors near the real embeddings of
their source paragraphs (so the vector space is clustered like real data); queries are real
XQuAD questions run through the real hybrid search. `--paragraphs N` builds the corpus from the first N
source paragraphs only (0: all of them), which keeps a smoke run to seconds; `--corpus` reuses a corpus loaded
by an earlier run into the same DATABASE_URL.

Search is timed without the query embedding (each question is embedded first; the search finds its vector in
the provider's cache), and beside it, per question, the floors: the same pgvector HNSW query alone and a GIN
full-text match alone (the question's lexemes OR-ed, 50 rows). `hit@5`: a top-5 chunk contains a gold answer.
Ingestion is timed with the model loaded, and the embedder alone on the same chunks in the same run.
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
import sqlalchemy as sa
from pgvector.psycopg import register_vector

from chatai_app.data import XQUAD_DIR as XQUAD

RESULTS = Path(__file__).resolve().parent / "results"


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
    from chatai_app.services.knowledge.chunking import chunk_blocks
    from chatai_app.services.knowledge.documents import add_document
    from chatai_app.services.knowledge.embeddings import EMBED_BATCH, provider_for
    from chatai_app.services.knowledge.extraction import extract_blocks
    from chatai_app.services.knowledge.ingestion import ingest_document
    from tests.knowledge.files import make_pdf

    paragraphs = _paragraphs()
    pdf = make_pdf([paragraphs[i * 2 : i * 2 + 2] for i in range(pages)])
    provider = provider_for("")
    await provider.embed_passages(["warm-up: the model is loaded before either is timed"])
    tenant_id, assistant_id = await _workspace("ingest bench")
    async with session_scope() as session:
        document = await add_document(
            session=session, tenant_id=tenant_id, assistant_id=assistant_id, filename="bench.pdf", data=pdf
        )
    texts = [c.embedding_text() for c in chunk_blocks(extract_blocks("pdf", pdf, "bench.pdf"))]

    async def embedder_alone() -> float:  # the floor: the embedder alone on the same chunks, in the same batches
        started = time.perf_counter()
        for start in range(0, len(texts), EMBED_BATCH):
            await provider.embed_passages(texts[start : start + EMBED_BATCH])
        return time.perf_counter() - started

    before = await embedder_alone()
    started = time.perf_counter()
    status = await ingest_document(document.id)
    elapsed = time.perf_counter() - started
    assert status == "ready", status
    embed_s = min(before, await embedder_alone())  # timed before and after; the faster one (a busy machine)
    chars = sum(len(p) for p in paragraphs[: pages * 2])
    return {"pages": pages, "chunks": len(texts), "seconds": round(elapsed, 2),
            "pages_per_s": round(pages / elapsed, 2),
            "chunks_per_s": round(len(texts) / elapsed, 1), "chars_per_s": round(chars / elapsed),
            "embedder_alone_s": round(embed_s, 2), "embedder_chunks_per_s": round(len(texts) / embed_s, 1),
            "ratio_to_embedder": round(embed_s / elapsed, 3)}  # fmt: skip


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


async def load_corpus(n_chunks: int, n_paragraphs: int = 0) -> tuple[uuid.UUID, uuid.UUID, float]:
    paragraphs = _paragraphs(n_paragraphs)
    tenant_id, assistant_id = await _workspace("search bench")
    base = await _base_vectors(paragraphs)
    started = time.perf_counter()
    await asyncio.to_thread(
        _load_corpus, os.environ["DATABASE_URL"], tenant_id, assistant_id, base, paragraphs, n_chunks
    )
    return tenant_id, assistant_id, time.perf_counter() - started


def _questions() -> list[tuple[str, list[str]]]:
    questions = []
    for language in ("en", "ru"):
        data = json.loads((XQUAD / f"xquad-dev.{language}.json").read_text(encoding="utf-8"))
        questions += [(q["question"], [a["text"] for a in q["answers"]])
                      for a in data["data"] for p in a["paragraphs"] for q in p["qas"]]  # fmt: skip
    random.Random(3).shuffle(questions)
    return questions


_GIN_ALONE = """
    SELECT t.id FROM knowledge_chunks t
     WHERE t.tenant_id = :tenant AND t.assistant_id = :assistant AND t.tsv @@ ({or_query}) LIMIT 50
"""


async def _floors(scope: dict[str, object], question: str, vector: list[float]) -> tuple[float, float]:
    """(HNSW query alone, GIN match alone) in ms, each in its own transaction like a search."""
    from chatai_app.db import session_scope
    from chatai_app.services.knowledge import retrieval
    from chatai_app.services.knowledge.embeddings import OFFLINE_MODEL

    t0 = time.perf_counter()
    async with session_scope() as session:
        await session.exec(sa.text(retrieval.VECTOR_SETTINGS))
        params = {**scope, "vector": str(vector), "model": OFFLINE_MODEL, "limit": retrieval.CANDIDATES}
        (await session.exec(retrieval._vector_sql("knowledge_chunks", len(vector)), params=params)).all()
    t1 = time.perf_counter()
    async with session_scope() as session:
        gin = sa.text(_GIN_ALONE.format(or_query=retrieval.OR_QUERY))
        (await session.exec(gin, params={**scope, "q": question})).all()
    return (t1 - t0) * 1000, (time.perf_counter() - t1) * 1000


def _summary(latencies: list[float]) -> dict[str, float]:
    latencies = sorted(latencies)
    return {"p50_ms": round(statistics.median(latencies), 1), "p95_ms": round(latencies[int(len(latencies) * 0.95)], 1)}


async def measure_search(tenant_id: uuid.UUID, assistant_id: uuid.UUID, n_queries: int) -> dict[str, object]:
    """Per question, back to back (so a busy machine weighs on all alike): hybrid, full-text and vector search,
    then the two floors."""
    from chatai_app.db import session_scope
    from chatai_app.services.knowledge.embeddings import provider_for
    from chatai_app.services.knowledge.retrieval import search

    questions = _questions()[:n_queries]
    provider = provider_for("")
    embed_ms, vectors = [], []
    for question, _ in questions:
        t0 = time.perf_counter()
        vectors.append(await provider.embed_query(question))  # the search below finds it in the cache
        embed_ms.append((time.perf_counter() - t0) * 1000)
    scope = {"tenant": tenant_id, "assistant": assistant_id}
    timings: dict[str, list[float]] = {m: [] for m in ("hybrid", "fts", "vector", "hnsw_alone", "gin_alone")}
    hits = 0
    for (question, answers), vector in zip(questions, vectors, strict=True):
        for mode in ("hybrid", "fts", "vector"):
            t0 = time.perf_counter()
            async with session_scope() as session:
                found = await search(session=session, tenant_id=tenant_id, assistant_id=assistant_id, query=question,
                                     k=5, mode=mode)  # type: ignore[arg-type]  # fmt: skip
            timings[mode].append((time.perf_counter() - t0) * 1000)
            if mode == "hybrid":
                hits += any(any(a in h.text for a in answers) for h in found)
        hnsw, gin = await _floors(scope, question, vector)
        timings["hnsw_alone"].append(hnsw)
        timings["gin_alone"].append(gin)
    result: dict[str, object] = {mode: _summary(values) for mode, values in timings.items()}
    floor = [h + g for h, g in zip(timings["hnsw_alone"], timings["gin_alone"], strict=True)]
    result["floor_hnsw_plus_gin"] = _summary(floor)
    result["ratio_p50_to_floor"] = round(statistics.median(timings["hybrid"]) / statistics.median(floor), 2)
    result["query_embedding"] = _summary(embed_ms)
    result["hybrid_hit_at_5"] = round(hits / len(questions), 4)
    result["queries"] = len(questions)
    return result


async def main(argv: list[str] | None = None) -> dict[str, object]:
    parser = argparse.ArgumentParser()
    parser.add_argument("--chunks", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--pages", type=int, default=30)
    parser.add_argument("--paragraphs", type=int, default=0, help="source paragraphs of the corpus (0: all)")
    parser.add_argument("--corpus", default="", help="TENANT:ASSISTANT of a corpus loaded earlier into DATABASE_URL")
    parser.add_argument("--out", type=Path, default=RESULTS / "knowledge_scale.json", help="'-' to not save")
    args = parser.parse_args(argv)
    _ensure_database()
    report: dict[str, object] = {"machine": "2 cores", "ingestion": await measure_ingestion(args.pages)}
    if args.corpus:
        tenant_id, assistant_id = (uuid.UUID(part) for part in args.corpus.split(":"))
        load_s = None
    else:
        tenant_id, assistant_id, load_s = await load_corpus(args.chunks, args.paragraphs)
    search = await measure_search(tenant_id, assistant_id, args.queries)
    report["search"] = {"chunks": args.chunks, "corpus": f"{tenant_id}:{assistant_id}",
                        "load_and_index_s": load_s and round(load_s, 1), **search}  # fmt: skip
    print(json.dumps(report, indent=2))
    if str(args.out) != "-":
        args.out.write_text(json.dumps(report, indent=2) + "\n")
    from chatai_app.db import dispose_engines

    await dispose_engines()
    return report


if __name__ == "__main__":
    asyncio.run(main())
