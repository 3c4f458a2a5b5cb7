"""Retrieval evaluation on SQuAD-format data (XQuAD): hit@k and MRR, hybrid against full-text only.

Each article becomes one document of a throw-away workspace; a question is a hit at k when one
of its answer texts occurs in the top-k retrieved chunks. The workspace is deleted afterwards.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from dataclasses import asdict, dataclass
from pathlib import Path

import sqlalchemy as sa

from chatai_app.db import session_scope
from chatai_app.models import Tenant
from chatai_app.services.assistants import create_assistant
from chatai_app.services.knowledge.documents import add_document
from chatai_app.services.knowledge.ingestion import ingest_document
from chatai_app.services.knowledge.retrieval import Mode, search

K_VALUES = (1, 3, 5)


@dataclass(frozen=True)
class ModeScores:
    mode: str
    questions: int
    hit_at: dict[int, float]
    mrr: float
    avg_chars_top5: float
    p50_ms: float


@dataclass(frozen=True)
class EvalReport:
    language: str
    documents: int
    chunks: int
    ingest_s: float
    scores: list[ModeScores]

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def article_text(article: dict) -> str:
    paragraphs = "\n\n".join(p["context"].strip() for p in article["paragraphs"])
    return f"# {article['title'].replace('_', ' ')}\n\n{paragraphs}\n"


def load_questions(data: dict) -> list[tuple[str, list[str]]]:
    return [
        (qa["question"], [a["text"] for a in qa["answers"]])
        for article in data["data"]
        for paragraph in article["paragraphs"]
        for qa in paragraph["qas"]
    ]


async def _ingest_articles(tenant_id: uuid.UUID, assistant_id: uuid.UUID, data: dict) -> int:
    document_ids = []
    for article in data["data"]:
        async with session_scope() as session:
            document = await add_document(
                session=session,
                tenant_id=tenant_id,
                assistant_id=assistant_id,
                filename=f"{article['title']}.txt",
                data=article_text(article).encode(),
            )
        document_ids.append(document.id)
    for document_id in document_ids:
        await ingest_document(document_id)
    async with session_scope() as session:
        statement = sa.text("SELECT count(*) FROM knowledge_chunks WHERE assistant_id = :a")
        return (await session.exec(statement, params={"a": assistant_id})).scalar_one()


async def _score(
    tenant_id: uuid.UUID, assistant_id: uuid.UUID, questions: list[tuple[str, list[str]]], mode: Mode
) -> ModeScores:
    hits = dict.fromkeys(K_VALUES, 0)
    reciprocal, chars, latencies = 0.0, 0, []
    for question, answers in questions:
        started = time.perf_counter()
        async with session_scope() as session:
            found = await search(
                session=session,
                tenant_id=tenant_id,
                assistant_id=assistant_id,
                query=question,
                k=max(K_VALUES),
                mode=mode,
            )
        latencies.append((time.perf_counter() - started) * 1000)
        chars += sum(len(hit.text) for hit in found)
        first = next((i for i, hit in enumerate(found, 1) if any(a in hit.text for a in answers)), None)
        if first is not None:
            reciprocal += 1 / first
            for k in K_VALUES:
                hits[k] += first <= k
    n = len(questions)
    return ModeScores(
        mode=mode,
        questions=n,
        hit_at={k: round(v / n, 4) for k, v in hits.items()},
        mrr=round(reciprocal / n, 4),
        avg_chars_top5=round(chars / n / max(K_VALUES), 1),
        p50_ms=round(sorted(latencies)[n // 2], 1),
    )


async def evaluate_dataset(
    path: Path,
    *,
    language: str,
    modes: tuple[Mode, ...] = ("hybrid", "fts"),
    articles: int | None = None,
    questions: int | None = None,
) -> EvalReport:
    """`articles`, `questions`: only the first N articles, the first N of their questions (a quick smoke run)."""
    data = json.loads(await asyncio.to_thread(path.read_text, encoding="utf-8"))
    if articles is not None:
        data = {**data, "data": data["data"][:articles]}
    async with session_scope() as session:
        tenant = Tenant(name=f"eval {language}", slug=f"eval-{uuid.uuid4().hex[:12]}", plan_code="enterprise")
        session.add(tenant)
        await session.flush()
        assistant = await create_assistant(session=session, tenant_id=tenant.id, name=f"XQuAD {language}")
    try:
        started = time.perf_counter()
        chunks = await _ingest_articles(tenant.id, assistant.id, data)
        ingest_s = time.perf_counter() - started
        asked = load_questions(data)[:questions]
        scores = [await _score(tenant.id, assistant.id, asked, mode) for mode in modes]
        return EvalReport(language, len(data["data"]), chunks, round(ingest_s, 1), scores)
    finally:
        async with session_scope() as session:
            await session.exec(sa.delete(Tenant).where(Tenant.id == tenant.id))


def format_table(reports: list[EvalReport]) -> str:
    lines = ["lang  mode    hit@1   hit@3   hit@5   MRR     chars/top5  p50 ms"]
    for report in reports:
        for s in report.scores:
            lines.append(
                f"{report.language:<5} {s.mode:<7} {s.hit_at[1]:.4f}  {s.hit_at[3]:.4f}  {s.hit_at[5]:.4f}  "
                f"{s.mrr:.4f}  {s.avg_chars_top5:>10.1f}  {s.p50_ms:>6.1f}"
            )
    return "\n".join(lines)
