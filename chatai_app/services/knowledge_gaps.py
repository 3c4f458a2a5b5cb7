"""Knowledge gaps: the questions an assistant could not answer (replies stored as `no_answer`) or that went to a
human (handoff requests: keyword, repeated question, misses, "cannot help", the button), grouped by similarity with
counts, newest first. Adding a Q&A pair for a group (`answer_gap`) answers it from then on (a near-exact Q&A question
wins retrieval outright) and the group leaves the list: questions that an existing Q&A pair covers are not gaps."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from chatai_app.models import Assistant, QAPair
from chatai_app.services.knowledge import qa
from chatai_app.services.knowledge.qa import QAOut

SIMILAR = 0.45
DAYS = 90
SCAN_LIMIT = 2000

_GAPS_SQL = sa.text(f"""
SELECT d.assistant_id, q.content, m.created_at, 'no_answer' AS reason
FROM dialog_messages m
JOIN dialogs d ON d.id = m.dialog_id
JOIN LATERAL (SELECT u.content FROM dialog_messages u WHERE u.dialog_id = m.dialog_id AND u.id < m.id
              AND u.role = 'user' ORDER BY u.id DESC LIMIT 1) q ON true
WHERE m.tenant_id = :tenant AND m.role = 'assistant' AND m.status = 'no_answer'
  AND m.created_at > now() - interval '{DAYS} days'
  AND (CAST(:assistant AS uuid) IS NULL OR d.assistant_id = :assistant)
UNION ALL
SELECT d.assistant_id, q.content, h.created_at, h.reason
FROM handoff_audit h
JOIN dialogs d ON d.id = h.dialog_id
JOIN LATERAL (SELECT u.content FROM dialog_messages u WHERE u.dialog_id = h.dialog_id AND u.created_at <= h.created_at
              AND u.role = 'user' ORDER BY u.id DESC LIMIT 1) q ON true
WHERE h.tenant_id = :tenant AND h.action = 'requested'
  AND h.created_at > now() - interval '{DAYS} days'
  AND (CAST(:assistant AS uuid) IS NULL OR d.assistant_id = :assistant)
ORDER BY 3 DESC
LIMIT {SCAN_LIMIT}
""")


@dataclass
class GapGroup:
    assistant_id: str
    assistant_name: str
    question: str  # the group's most frequent wording
    count: int
    last_seen: str
    reasons: dict[str, int] = field(default_factory=dict)
    examples: list[str] = field(default_factory=list)


def normalise(text: str) -> str:
    return " ".join(re.findall(r"\w+", (text or "").lower()))


def _grams(text: str) -> set[str]:
    padded = f"  {normalise(text)} "
    return {padded[i : i + 3] for i in range(len(padded) - 2)}


def similarity(a: str | set[str], b: str | set[str]) -> float:
    """Trigram Jaccard similarity of two texts (0..1), like pg_trgm's."""
    ga = a if isinstance(a, set) else _grams(a)
    gb = b if isinstance(b, set) else _grams(b)
    return len(ga & gb) / len(ga | gb) if ga and gb else 0.0


async def list_gaps(
    *, session: AsyncSession, tenant_id: uuid.UUID, assistant_id: uuid.UUID | None = None, limit: int = 50
) -> list[GapGroup]:
    rows = (await session.exec(_GAPS_SQL.bindparams(tenant=tenant_id, assistant=assistant_id))).all()  # type: ignore[call-overload]
    names = dict(
        (await session.exec(select(Assistant.id, Assistant.name).where(Assistant.tenant_id == tenant_id))).all()
    )
    covered: dict[uuid.UUID, list[set[str]]] = {}
    for aid, question in (
        await session.exec(select(QAPair.assistant_id, QAPair.question).where(QAPair.tenant_id == tenant_id))
    ).all():
        covered.setdefault(aid, []).append(_grams(question))
    groups: list[tuple[set[str], dict[str, int], GapGroup]] = []
    for aid, text, created_at, reason in rows:
        text = (text or "").strip()
        if not normalise(text):
            continue
        grams = _grams(text)
        if any(similarity(grams, known) >= SIMILAR for known in covered.get(aid, [])):
            continue
        for rep, found_wordings, group in groups:
            if group.assistant_id == str(aid) and similarity(grams, rep) >= SIMILAR:
                wordings = found_wordings
                break
        else:
            rep, wordings = grams, {}
            group = GapGroup(str(aid), names.get(aid, ""), text, 0, created_at.isoformat(timespec="seconds"))
            groups.append((rep, wordings, group))
        group.count += 1
        group.reasons[reason] = group.reasons.get(reason, 0) + 1
        wordings[text] = wordings.get(text, 0) + 1
        if text not in group.examples and len(group.examples) < 5:
            group.examples.append(text)
    for _, wordings, group in groups:
        group.question = max(wordings.items(), key=lambda item: (item[1], -len(item[0])))[0]
    ordered = sorted((g for *_, g in groups), key=lambda g: (g.count, g.last_seen), reverse=True)
    return ordered[: max(1, min(limit, 200))]


async def answer_gap(
    *, session: AsyncSession, tenant_id: uuid.UUID, assistant_id: uuid.UUID, question: str, answer: str
) -> QAOut:
    """One click from a gap: a Q&A pair the assistant answers with from now on."""
    return await qa.create_qa(
        session=session, tenant_id=tenant_id, assistant_id=assistant_id, question=question, answer=answer
    )
