"""Q&A pairs: create, edit, delete, list and bulk import from CSV (question,answer)."""

from __future__ import annotations

import csv
import io
import uuid
from dataclasses import dataclass

import sqlalchemy as sa
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from chatai_app.models import QAPair
from chatai_app.models._base import utcnow
from chatai_app.services.assistants import get_assistant
from chatai_app.services.errors import NotFound, ValidationFailed
from chatai_app.services.knowledge.embeddings import EMBED_BATCH, provider_for
from chatai_app.services.knowledge.extraction import decode_text, fts_config_for

MAX_QUESTION, MAX_ANSWER, MAX_IMPORT_ROWS = 1000, 8000, 5000


@dataclass(frozen=True)
class QAOut:
    id: uuid.UUID
    question: str
    answer: str

    @classmethod
    def of(cls, pair: QAPair) -> QAOut:
        return cls(pair.id, pair.question, pair.answer)


@dataclass(frozen=True)
class ImportReport:
    imported: int
    errors: list[str]


def _validated(question: str, answer: str, where: str = "") -> tuple[str, str]:
    question, answer = (question or "").strip(), (answer or "").strip()
    errors = {}
    if not question or len(question) > MAX_QUESTION:
        errors["question"] = f"{where}the question must have 1 to {MAX_QUESTION} characters"
    if not answer or len(answer) > MAX_ANSWER:
        errors["answer"] = f"{where}the answer must have 1 to {MAX_ANSWER} characters"
    if errors:
        raise ValidationFailed(errors)
    return question, answer


async def _embed(embedding_model: str, questions: list[str]) -> tuple[str, list[list[float]]]:
    provider = provider_for(embedding_model)
    vectors: list[list[float]] = []
    for start in range(0, len(questions), EMBED_BATCH):
        vectors.extend(await provider.embed_queries(questions[start : start + EMBED_BATCH]))
    return provider.name, vectors


def _apply(pair: QAPair, question: str, answer: str, model: str, vector: list[float]) -> QAPair:
    pair.question, pair.answer, pair.fts_config = question, answer, fts_config_for(question)
    pair.embedding_model, pair.embedding_dim, pair.embedding = model, len(vector), vector
    return pair


async def create_qa(
    *, session: AsyncSession, tenant_id: uuid.UUID, assistant_id: uuid.UUID, question: str, answer: str
) -> QAOut:
    assistant = await get_assistant(session=session, tenant_id=tenant_id, assistant_id=assistant_id)
    question, answer = _validated(question, answer)
    model, (vector,) = await _embed(assistant.embedding_model, [question])
    pair = _apply(QAPair(tenant_id=tenant_id, assistant_id=assistant_id), question, answer, model, vector)
    session.add(pair)
    await session.flush()
    return QAOut.of(pair)


async def _owned(session: AsyncSession, tenant_id: uuid.UUID, qa_id: uuid.UUID) -> QAPair:
    pair = await session.get(QAPair, qa_id)
    if pair is None or pair.tenant_id != tenant_id:
        raise NotFound("Q&A pair not found")
    return pair


async def update_qa(
    *, session: AsyncSession, tenant_id: uuid.UUID, qa_id: uuid.UUID, question: str, answer: str
) -> QAOut:
    pair = await _owned(session, tenant_id, qa_id)
    assistant = await get_assistant(session=session, tenant_id=tenant_id, assistant_id=pair.assistant_id)
    question, answer = _validated(question, answer)
    model, (vector,) = await _embed(assistant.embedding_model, [question])
    _apply(pair, question, answer, model, vector).updated_at = utcnow()
    session.add(pair)
    return QAOut.of(pair)


async def delete_qa(*, session: AsyncSession, tenant_id: uuid.UUID, qa_id: uuid.UUID) -> None:
    pair = await _owned(session, tenant_id, qa_id)
    await session.exec(sa.delete(QAPair).where(QAPair.id == pair.id))


async def list_qa(*, session: AsyncSession, tenant_id: uuid.UUID, assistant_id: uuid.UUID) -> list[QAOut]:
    await get_assistant(session=session, tenant_id=tenant_id, assistant_id=assistant_id)
    stmt = (
        select(QAPair)
        .where(QAPair.tenant_id == tenant_id, QAPair.assistant_id == assistant_id)
        .order_by(QAPair.created_at.desc())
    )
    return [QAOut.of(p) for p in (await session.exec(stmt)).all()]


def _dialect(text: str) -> type[csv.Dialect] | csv.Dialect:
    """Comma, semicolon (Russian Excel) or tab; plain comma when the sample is ambiguous."""
    try:
        return csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        return csv.excel


def parse_qa_csv(data: bytes) -> tuple[list[tuple[str, str]], list[str]]:
    """Rows of (question, answer); a header row is optional; bad rows are reported, not fatal."""
    text = decode_text(data, "CSV")
    rows = list(csv.reader(io.StringIO(text), _dialect(text)))
    if rows and [c.strip().lower() for c in rows[0][:2]] in (["question", "answer"], ["вопрос", "ответ"]):
        rows = rows[1:]
    pairs, errors = [], []
    for number, row in enumerate(rows, start=1):
        if not any(cell.strip() for cell in row):
            continue
        try:
            if len(row) < 2:
                raise ValidationFailed({"row": f"row {number}: expected two columns, question and answer"})
            pairs.append(_validated(row[0], row[1], f"row {number}: "))
        except ValidationFailed as exc:
            errors.extend(exc.fields.values())
    return pairs, errors


async def import_qa_csv(
    *, session: AsyncSession, tenant_id: uuid.UUID, assistant_id: uuid.UUID, data: bytes
) -> ImportReport:
    assistant = await get_assistant(session=session, tenant_id=tenant_id, assistant_id=assistant_id)
    pairs, errors = parse_qa_csv(data)
    if len(pairs) > MAX_IMPORT_ROWS:
        raise ValidationFailed({"file": f"at most {MAX_IMPORT_ROWS} rows per import"})
    model, vectors = await _embed(assistant.embedding_model, [q for q, _ in pairs])
    session.add_all(
        _apply(QAPair(tenant_id=tenant_id, assistant_id=assistant_id), q, a, model, v)
        for (q, a), v in zip(pairs, vectors, strict=True)
    )
    await session.flush()
    return ImportReport(imported=len(pairs), errors=errors)


async def reembed_all(
    *, session: AsyncSession, tenant_id: uuid.UUID, assistant_id: uuid.UUID, embedding_model: str
) -> int:
    """Re-embed every Q&A question with the given model (after the assistant's model changed)."""
    pairs = list(
        (
            await session.exec(select(QAPair).where(QAPair.tenant_id == tenant_id, QAPair.assistant_id == assistant_id))
        ).all()
    )
    model, vectors = await _embed(embedding_model, [p.question for p in pairs])
    for pair, vector in zip(pairs, vectors, strict=True):
        session.add(_apply(pair, pair.question, pair.answer, model, vector))
    return len(pairs)
