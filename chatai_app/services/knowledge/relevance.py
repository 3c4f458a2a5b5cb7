"""Evidence that a retrieved passage answers the question: the reranking score and a calibrated confidence.

For each candidate of a hybrid search (retrieval.py):
* `cosine`: similarity of the question's and the passage's embeddings;
* `coverage`: the share of the question's content words (stop words left out, IDF-weighted over the assistant's
  knowledge) that the passage contains, compared as PostgreSQL lexemes (Russian and English stemming, the same as
  the full-text index), so 'доставки'/'доставка' and 'delivered'/'delivery' match;
* `cross`: the question and the passage are in different languages (Cyrillic or not), where coverage means little;
* `bm25`, and the ranks of the two retrievers (`fts_rank`, `vec_rank`, 0 when absent): their agreement.

`rank_score` orders the candidates (cosine + coverage: hit@1 on XQuAD dev 0.957 -> 0.97 en, 0.926 -> 0.95 ru);
`confidence` maps the best one's evidence to the chance that it holds the answer, a logistic model fitted on the
XQuAD dev half (benchmarks/abstention_calibration.py: answerable questions against their own articles, unanswerable
ones against the other half, both also across languages, and small talk / off-topic questions). An assistant's
strictness picks the threshold, per question language, below which the offline answerer says 'not found'.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from sqlmodel.ext.asyncio.session import AsyncSession

WORD = re.compile(r"\w+", re.UNICODE)
MAX_WORDS = 24
STRICTNESS = ("strict", "balanced", "lenient")
DEFAULT_STRICTNESS = "balanced"

# Fitted by benchmarks/abstention_calibration.py (benchmarks/results/abstention_calibration.json: the data's
# precision/recall at each threshold per language).
RANK_WEIGHTS = {"cosine": 10.0, "coverage": 2.0}
CONFIDENCE_WEIGHTS = {"bias": -47.64, "cosine": 53.917, "coverage": 8.563, "cross": -1.148, "cross_cosine": 8.634}
# balanced: at most ~5% confident answers to unanswerable questions on the calibration data (4.3% en, 6.5% ru),
# strict: ~0.6%, lenient: ~10%; the answer-quality eval through the chat API measures each (benchmarks/results).
THRESHOLDS = {
    "en": {"strict": 0.6, "balanced": 0.15, "lenient": 0.08},
    "ru": {"strict": 0.5, "balanced": 0.15, "lenient": 0.08},
    "cross": {"strict": 0.7, "balanced": 0.5, "lenient": 0.3},  # question and passage in different languages
}
CYRILLIC = re.compile(r"[а-яё]", re.IGNORECASE)

_TERMS_SQL = sa.text("""
    WITH words AS (SELECT DISTINCT w FROM unnest(CAST(:words AS text[])) AS w),
    lex AS (
        SELECT w, tsvector_to_array(to_tsvector('russian', w)) AS ru, tsvector_to_array(to_tsvector('english', w)) AS en
          FROM words
    )
    SELECT w, ru || en AS lexemes,
           (SELECT coalesce(sum(s.df), 0) FROM search_term_stats s  -- kept by triggers (migration 0013)
             WHERE s.tenant_id = :tenant AND s.assistant_id = :assistant AND s.source = 'chunk'
               AND s.lexeme = ANY(ru || en)) AS df,
           (SELECT coalesce(max(s.n), 0) FROM search_scope_stats s
             WHERE s.tenant_id = :tenant AND s.assistant_id = :assistant AND s.source = 'chunk') AS n
      FROM lex
     WHERE cardinality(ru) > 0 AND cardinality(en) > 0
""")


@dataclass(frozen=True)
class Term:
    word: str
    lexemes: frozenset[str]
    idf: float


def content_words(query: str) -> list[str]:
    seen: dict[str, None] = {}
    for word in WORD.findall(query.lower()):
        if len(word) > 1 or word.isdigit():
            seen.setdefault(word, None)
    return list(seen)[:MAX_WORDS]


async def query_terms(session: AsyncSession, scope: dict[str, object], query: str) -> list[Term]:
    """The question's content words (a word that either language calls a stop word is left out) with their IDF."""
    words = content_words(query)
    if not words:
        return []
    rows = (await session.exec(_TERMS_SQL, params={**scope, "words": words})).all()  # type: ignore[call-overload]
    return [
        Term(w, frozenset(lexemes), math.log(1 + (max(n, 1) - df + 0.5) / (df + 0.5))) for w, lexemes, df, n in rows
    ]


def coverage(terms: Sequence[Term], lexemes: Iterable[str]) -> float:
    total = sum(t.idf for t in terms)
    if not total:
        return 0.0
    present = set(lexemes)
    return sum(t.idf for t in terms if t.lexemes & present) / total


def language_of(text: str) -> str:
    return "ru" if CYRILLIC.search(text[:400]) else "en"


def evidence(
    terms: Sequence[Term],
    lexemes: Iterable[str],
    *,
    cosine: float,
    bm25: float,
    ranks: dict[str, int],
    rrf: float,
    cross: bool = False,
) -> dict[str, float]:
    fts_rank, vec_rank = ranks.get("fts", 0), ranks.get("vector", 0)
    return {
        "cosine": round(cosine, 5),
        "coverage": round(coverage(terms, lexemes), 4),
        "cross": float(cross),
        "cross_cosine": round(cosine, 5) if cross else 0.0,
        "bm25": round(bm25, 4),
        "fts_rank": float(fts_rank),
        "vec_rank": float(vec_rank),
        "agree": float(0 < fts_rank <= 5 and 0 < vec_rank <= 5),
        "rrf": round(rrf, 6),
        "terms": float(len(terms)),
    }


def rank_score(e: dict[str, float]) -> float:
    return sum(weight * e.get(name, 0.0) for name, weight in RANK_WEIGHTS.items())


def confidence(e: dict[str, float]) -> float:
    z = CONFIDENCE_WEIGHTS["bias"] + sum(w * e.get(k, 0.0) for k, w in CONFIDENCE_WEIGHTS.items() if k != "bias")
    return 1 / (1 + math.exp(-max(-60.0, min(60.0, z))))


def threshold(strictness: str | None, language: str = "en") -> float:
    table = THRESHOLDS.get(language, THRESHOLDS["en"])
    return table.get(strictness or DEFAULT_STRICTNESS, table[DEFAULT_STRICTNESS])


def answers(hits: Sequence[object], strictness: str | None, question: str = "") -> bool:
    """Whether the best hit is good enough evidence to answer from (hits without a confidence always are)."""
    if not hits:
        return False
    best = hits[0]
    value = getattr(best, "confidence", None)
    if value is None:
        return True
    cross = bool(getattr(best, "evidence", {}).get("cross"))
    return value >= threshold(strictness, "cross" if cross else language_of(question))
