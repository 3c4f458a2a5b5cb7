"""Hybrid retrieval: language-aware full-text search fused with pgvector search (reciprocal rank fusion), then
the best RERANK_N candidates reranked on their evidence (services/knowledge/relevance.py: cosine similarity, how
much of the question's content words the passage covers, BM25, agreement of the two retrievers), which also gives
every hit a calibrated `confidence` that the passage answers the question.

Q&A pairs compete in the same fusion; a near-exact Q&A question match wins outright.
Every query is filtered by tenant and assistant.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable
from dataclasses import dataclass, field
from typing import Literal

import sqlalchemy as sa
from sqlmodel.ext.asyncio.session import AsyncSession

from chatai_app.services.errors import NotFound
from chatai_app.services.knowledge import relevance
from chatai_app.services.knowledge.embeddings import EmbeddingProvider, provider_for

Mode = Literal["hybrid", "fts", "vector"]
CANDIDATES = 50
RRF_K = 60
QA_EXACT_SIMILARITY = 0.8  # pg_trgm similarity of the question texts
PRESELECT = 500
RERANK_N = 20  # fused candidates whose evidence is looked at
BM25_K1, BM25_B = 1.2, 0.75
HNSW_EF_SEARCH = 100
WIDE_MATCH = 3000  # candidates by any shared lexeme while their frequencies sum to at most this
MAX_PAIRED = 6  # beyond it, chunks sharing two of this many rarest lexemes
# Both settings of this transaction's vector queries (the search sets them with its first statement, _SCOPE_SQL).
VECTOR_SETTING_CALLS = (
    f"set_config('hnsw.ef_search', '{HNSW_EF_SEARCH}', true), set_config('hnsw.iterative_scan', 'relaxed_order', true)"
)
VECTOR_SETTINGS = f"SELECT {VECTOR_SETTING_CALLS}"

# An OR-query of the question's lexemes under both configurations (`websearch_to_tsquery` would AND them).
OR_QUERY = """
    (SELECT coalesce(to_tsquery('russian', nullif(string_agg(quote_literal(l), ' | '), '')), ''::tsquery)
       FROM unnest(tsvector_to_array(to_tsvector('russian', :q))) AS l)
    || (SELECT coalesce(to_tsquery('english', nullif(string_agg(quote_literal(l), ' | '), '')), ''::tsquery)
       FROM unnest(tsvector_to_array(to_tsvector('english', :q))) AS l)
"""


@dataclass
class Hit:
    kind: str  # chunk | qa
    id: str
    text: str
    score: float
    document_id: str | None = None
    document_name: str | None = None
    page: int | None = None
    heading: str = ""
    answer: str | None = None
    ranks: dict[str, int] = field(default_factory=dict)
    evidence: dict[str, float] = field(default_factory=dict)  # cosine, coverage, bm25, ... (hybrid search)
    confidence: float | None = None  # calibrated chance that this passage answers the question (hybrid)
    url: str = ""  # a website page's address (its source link)

    def as_dict(self) -> dict[str, object]:
        return {
            "kind": self.kind,
            "id": self.id,
            "text": self.text,
            "answer": self.answer,
            "document_id": self.document_id,
            "document": self.document_name,
            "page": self.page,
            "heading": self.heading,
            "url": self.url,
            "score": round(self.score, 6),
            "confidence": None if self.confidence is None else round(self.confidence, 4),
        }


def _fts_sql(table: str, source: str) -> sa.TextClause:
    """BM25 over PostgreSQL full-text lexemes (ts_rank has no IDF, which costs ~10 points of hit@1).

    Document frequencies and N come from the assistant's term statistics (migration 0013, kept by triggers),
    not from counting at query time; the average length is the candidates' own, as before. The GIN index finds
    the candidates: chunks sharing any query lexeme while their frequencies sum to at most WIDE_MATCH; beyond
    that (a large knowledge base), chunks sharing two of the question's MAX_PAIRED rarest lexemes, so ts_rank_cd
    does not run over most of the table. The best PRESELECT candidates by ts_rank (ts_rank_cd's cover density
    cost twice the time for the same hit@k at 100k chunks) are scored with BM25, in one join of their lexemes
    with the query's (a per-candidate subquery cost ~10 ms more for 500 candidates; issue 16). Each candidate's
    vector is cut to the query's lexemes before it is unnested (`setweight` marks them 'A' - stored vectors carry no
    weights - and `ts_filter` keeps those): unnesting all ~57 lexemes of 500 candidates was half the statement's
    time (p50 15.0 -> 8.0 ms at 100k chunks, identical scores).
    """
    return sa.text(f"""
        WITH terms AS (
            SELECT DISTINCT lexeme FROM unnest(
                tsvector_to_array(to_tsvector('russian', :q)) || tsvector_to_array(to_tsvector('english', :q))
            ) AS lexeme
        ),
        df AS (
            SELECT s.lexeme, s.df::float AS df FROM search_term_stats s JOIN terms ON terms.lexeme = s.lexeme
             WHERE s.tenant_id = :tenant AND s.assistant_id = :assistant AND s.source = '{source}'
        ),
        rare AS (SELECT lexeme, row_number() OVER (ORDER BY df, lexeme) AS r FROM df ORDER BY df, lexeme
                 LIMIT {MAX_PAIRED}),
        query AS (
            SELECT {OR_QUERY} AS tsq,
                   CASE WHEN (SELECT coalesce(sum(df), 0) FROM df) <= {WIDE_MATCH} OR (SELECT count(*) FROM df) < 2
                        THEN {OR_QUERY}
                        ELSE (SELECT to_tsquery('simple', string_agg(
                                  '(' || quote_literal(a.lexeme) || ' & ' || quote_literal(b.lexeme) || ')', ' | '))
                                FROM rare a JOIN rare b ON a.r < b.r)
                   END AS matching
        ),
        candidates AS (
            SELECT t.id, t.tsv, length(t.tsv) AS len FROM {table} t, query
             WHERE t.tenant_id = :tenant AND t.assistant_id = :assistant AND t.tsv @@ query.matching
             ORDER BY ts_rank(t.tsv, query.tsq) DESC LIMIT {PRESELECT}
        ),
        stats AS (  -- the candidates' average length, as the rerank was calibrated with
            SELECT (SELECT greatest(max(n), 1) FROM search_scope_stats
                     WHERE tenant_id = :tenant AND assistant_id = :assistant AND source = '{source}')::float AS n,
                   greatest(avg(len), 1)::float AS avgdl
              FROM candidates
        )
        SELECT s.id::text, s.score FROM (
            SELECT c.id, sum(ln(1 + (stats.n - df.df + 0.5) / (df.df + 0.5))
                             * u.tf * ({BM25_K1} + 1)
                             / (u.tf + {BM25_K1} * (1 - {BM25_B} + {BM25_B} * c.len / stats.avgdl))) AS score
              FROM candidates c CROSS JOIN stats
              CROSS JOIN LATERAL (SELECT lexeme, coalesce(array_length(positions, 1), 1) AS tf
                                   FROM unnest(ts_filter(setweight(c.tsv, 'A', (SELECT array_agg(lexeme) FROM df)),
                                                         '{{a}}'))) u
              JOIN df ON df.lexeme = u.lexeme
             GROUP BY c.id
        ) s
         ORDER BY s.score DESC, s.id
         LIMIT :limit
    """)


def _vector_sql(table: str, dim: int) -> sa.TextClause:
    # The expression matches the partial HNSW index `(embedding::vector(dim))` of migration 0001.
    return sa.text(f"""
        SELECT id::text, 1 - (embedding::vector({dim}) <=> CAST(:vector AS vector({dim}))) AS score
          FROM {table}
         WHERE tenant_id = :tenant AND assistant_id = :assistant AND embedding_dim = {dim}
           AND embedding_model = :model
         ORDER BY embedding::vector({dim}) <=> CAST(:vector AS vector({dim}))
         LIMIT :limit
    """)


async def _ranked(
    session: AsyncSession, statement: sa.TextClause, params: dict[str, object]
) -> list[tuple[str, float]]:
    return [(row[0], float(row[1])) for row in (await session.exec(statement, params=params)).all()]


async def _exact_qa(session: AsyncSession, scope: dict[str, object], query: str) -> str | None:
    statement = sa.text("""
        SELECT id::text FROM qa_knowledge
         WHERE tenant_id = :tenant AND assistant_id = :assistant
           AND similarity(lower(question), lower(:q)) >= :threshold
         ORDER BY similarity(lower(question), lower(:q)) DESC LIMIT 1
    """)
    row = (await session.exec(statement, params={**scope, "q": query, "threshold": QA_EXACT_SIMILARITY})).first()
    return row[0] if row else None


def normalized_query(query: str | None) -> str:
    """The text a search embeds and matches for a question."""
    return (query or "").replace("\x00", " ").strip()[:2000]


@dataclass(frozen=True)
class QueryVector:
    """A question's embedding started before the search (the engine starts it while it stores the message, issue
    16): the search awaits it when the question and the assistant's embedding model are still the ones it was
    started for, and embeds the question itself otherwise."""

    model: str
    query: str
    task: asyncio.Future[list[float]]

    def serves(self, provider: EmbeddingProvider, query: str) -> bool:
        return (self.model, self.query) == (provider.name, query) and not self.task.cancelled()

    def cancel(self) -> None:
        """Not needed after all: a model call not yet made is skipped."""
        self.task.cancel()


def start_query_vector(embedding_model: str, query: str) -> QueryVector:
    provider = provider_for(embedding_model)
    query = normalized_query(query)
    task = asyncio.ensure_future(provider.embed_query(query))
    task.add_done_callback(_seen)  # a failure nobody awaited (the turn did not search) is no 'never retrieved' log
    return QueryVector(provider.name, query, task)


def _seen(task: asyncio.Future[list[float]]) -> None:
    if not task.cancelled():
        task.exception()


def _vector_of(provider: EmbeddingProvider, query: str, early: QueryVector | None) -> asyncio.Future[list[float]]:
    if early is not None and early.serves(provider, query):
        return early.task
    return asyncio.ensure_future(provider.embed_query(query))


@dataclass
class _Rankings:
    lists: dict[str, list[tuple[str, float]]]  # 'chunk:fts' -> [(id, BM25 score)], 'qa:vector' -> [(id, cosine)]
    vector: list[float] | None = None


SOURCES = (("chunk", "knowledge_chunks"), ("qa", "qa_knowledge"))


@dataclass(frozen=True)
class _Scope:
    embedding_model: str
    sources: tuple[tuple[str, str], ...]  # (kind, table) of the sources that hold rows: 'chunk', 'qa'


_SCOPE_SQL = sa.text(f"""
    SELECT a.embedding_model, {VECTOR_SETTING_CALLS},
           EXISTS (SELECT 1 FROM search_scope_stats s WHERE s.tenant_id = a.tenant_id AND s.assistant_id = a.id
                      AND s.source = 'chunk' AND s.n > 0) AS chunks,
           EXISTS (SELECT 1 FROM search_scope_stats s WHERE s.tenant_id = a.tenant_id AND s.assistant_id = a.id
                      AND s.source = 'qa' AND s.n > 0) AS qas
      FROM assistants a WHERE a.id = :assistant AND a.tenant_id = :tenant
""")


async def _scope(session: AsyncSession, scope: dict[str, object]) -> _Scope:
    """The assistant's embedding model and which of its sources hold rows (search_scope_stats counts them exactly,
    migration 0013): an assistant without Q&A pairs, the common case, skips three queries. NotFound for another
    workspace's assistant. The same statement sets the transaction's HNSW settings for the vector queries (one row:
    each call runs once; a round trip of its own before, issue 16)."""
    row = (await session.exec(_SCOPE_SQL, params=scope)).first()  # type: ignore[call-overload]
    if row is None:
        raise NotFound("Assistant not found")
    present = {"chunk": row.chunks, "qa": row.qas}
    return _Scope(row.embedding_model, tuple((kind, table) for kind, table in SOURCES if present[kind]))


async def _rankings(
    session: AsyncSession, scope: dict[str, object], query: str, mode: Mode, sources: tuple[tuple[str, str], ...],
    vector_of: Awaitable[list[float]] | None, model: str,
) -> _Rankings:  # fmt: skip
    """Ranked (id, score) lists per (source, method) of the given sources: 'chunk:fts', 'qa:vector', ...
    `vector_of`: the query's embedding under way (vector and hybrid modes); the full-text queries run meanwhile."""
    found = _Rankings({})
    if mode in ("hybrid", "fts"):
        for kind, table in sources:
            found.lists[f"{kind}:fts"] = await _ranked(
                session, _fts_sql(table, kind), {**scope, "q": query, "limit": CANDIDATES}
            )
    if vector_of is not None:
        vector = found.vector = await vector_of  # the HNSW settings: set by _scope in this transaction
        params = {**scope, "vector": str(vector), "model": model, "limit": CANDIDATES}
        for kind, table in sources:
            found.lists[f"{kind}:vector"] = await _ranked(session, _vector_sql(table, len(vector)), params)
    return found


Fused = tuple[str, str, float, dict[str, int]]


def fuse(rankings: dict[str, list[tuple[str, float]]] | dict[str, list[str]]) -> list[Fused]:
    """Reciprocal rank fusion across methods; returns (kind, id, score, ranks) best first."""
    scores: dict[tuple[str, str], float] = {}
    ranks: dict[tuple[str, str], dict[str, int]] = {}
    for name, ids in rankings.items():
        kind, method = name.split(":")
        for rank, item in enumerate(ids, start=1):
            key = (kind, item[0] if isinstance(item, tuple) else item)
            scores[key] = scores.get(key, 0.0) + 1.0 / (RRF_K + rank)
            ranks.setdefault(key, {})[method] = rank
    ordered = sorted(scores.items(), key=lambda kv: kv[1], reverse=True)
    return [(kind, item_id, score, ranks[(kind, item_id)]) for (kind, item_id), score in ordered]


async def search(
    *,
    session: AsyncSession,
    tenant_id: uuid.UUID,
    assistant_id: uuid.UUID,
    query: str,
    k: int = 5,
    mode: Mode = "hybrid",
    early: QueryVector | None = None,
) -> list[Hit]:
    """`early`: the question's embedding, started by the caller before it knew whether it would search."""
    query = normalized_query(query)
    scope = {"tenant": tenant_id, "assistant": assistant_id}
    knowledge = await _scope(session, scope)
    if not query or not knowledge.sources:
        return []
    provider = provider_for(knowledge.embedding_model)
    # The embedding starts before the full-text queries: the model's thread and the database work together.
    vector_of = _vector_of(provider, query, early) if mode in ("hybrid", "vector") else None
    try:
        found = await _rankings(session, scope, query, mode, knowledge.sources, vector_of, provider.name)
    finally:
        if vector_of is not None and not vector_of.done():  # the search failed before it needed the vector
            vector_of.cancel()
    fused = fuse(found.lists)
    has_qa = any(kind == "qa" for kind, _ in knowledge.sources)
    exact = await _exact_qa(session, scope, query) if mode == "hybrid" and has_qa else None
    if exact:
        fused = [("qa", exact, 1.0, {"exact": 1})] + [f for f in fused if f[:2] != ("qa", exact)]
    if mode != "hybrid":
        return await _hydrate(session, fused[:k])
    lexemes: dict[tuple[str, str], list[str]] = {}
    hits = await _hydrate(session, fused[:RERANK_N], vector=found.vector, lexemes=lexemes)
    await _weigh(session, scope, query, hits, found, lexemes)
    first = 1 if exact and hits and hits[0].ranks.get("exact") else 0
    if first:  # a near-exact Q&A question wins outright
        hits[0].score, hits[0].confidence = 1.0, 1.0
    hits[first:] = sorted(hits[first:], key=lambda h: h.score, reverse=True)
    return hits[:k]


async def _weigh(
    session: AsyncSession,
    scope: dict[str, object],
    query: str,
    hits: list[Hit],
    found: _Rankings,
    lexemes: dict[tuple[str, str], list[str]],
) -> None:
    """Score each candidate on its evidence (relevance.py) and give it its calibrated confidence."""
    terms = await relevance.query_terms(session, scope, query)
    bm25 = {(name.split(":")[0], item): score for name, ids in found.lists.items() if name.endswith(":fts")
            for item, score in ids}  # fmt: skip
    asked_in = relevance.language_of(query)
    for hit in hits:
        hit.evidence = relevance.evidence(
            terms, lexemes.get((hit.kind, hit.id), ()), cosine=hit.evidence.get("cosine", 0.0),
            bm25=bm25.get((hit.kind, hit.id), 0.0), ranks=hit.ranks, rrf=hit.score,
            cross=relevance.language_of(hit.text) != asked_in,
        )  # fmt: skip
        hit.score = relevance.rank_score(hit.evidence)
        hit.confidence = relevance.confidence(hit.evidence)


_CHUNKS_SQL = """
    SELECT c.id, c.content, c.heading, c.page, c.document_id::text, d.filename, d.source_url,
           tsvector_to_array(c.tsv) AS lexemes, {cosine} AS cosine
      FROM knowledge_chunks c JOIN documents d ON d.id = c.document_id
     WHERE c.id = ANY(:ids)
"""
_QA_SQL = """
    SELECT id, question, answer, tsvector_to_array(tsv) AS lexemes, {cosine} AS cosine
      FROM qa_knowledge WHERE id = ANY(:ids)
"""


def _cosine_sql(vector: list[float] | None) -> str:
    if vector is None:
        return "NULL::float"
    dim = len(vector)
    return f"CASE WHEN embedding_dim = {dim} THEN 1 - (embedding::vector({dim}) <=> CAST(:vector AS vector({dim}))) END"


async def _hydrate(
    session: AsyncSession,
    fused: list[Fused],
    *,
    vector: list[float] | None = None,
    lexemes: dict[tuple[str, str], list[str]] | None = None,
) -> list[Hit]:
    """Hits for fused ids, in order; with the query vector also each one's cosine and (into `lexemes`) its lexemes."""
    chunk_ids = [int(item_id) for kind, item_id, _, _ in fused if kind == "chunk"]
    qa_ids = [uuid.UUID(item_id) for kind, item_id, _, _ in fused if kind == "qa"]
    params: dict[str, object] = {} if vector is None else {"vector": str(vector)}
    cosine = _cosine_sql(vector)
    chunks = {
        str(row.id): row
        for row in (
            await session.exec(
                sa.text(_CHUNKS_SQL.format(cosine=cosine.replace("embedding", "c.embedding"))),
                params={"ids": chunk_ids, **params},
            )
        ).all()
    } if chunk_ids else {}  # fmt: skip
    qas = {
        str(row.id): row
        for row in (await session.exec(sa.text(_QA_SQL.format(cosine=cosine)), params={"ids": qa_ids, **params})).all()
    } if qa_ids else {}  # fmt: skip
    hits = []
    for kind, item_id, score, ranks in fused:
        if kind == "chunk" and (c := chunks.get(item_id)):
            hit = Hit("chunk", item_id, c.content, score, c.document_id, c.filename, c.page, c.heading, None, ranks)
            hit.url = c.source_url or ""
        elif kind == "qa" and (q := qas.get(item_id)):
            hit = Hit("qa", item_id, q.question, score, answer=q.answer, ranks=ranks)
        else:
            continue
        row = c if kind == "chunk" else q
        if vector is not None:
            hit.evidence = {"cosine": float(row.cosine or 0.0)}
        if lexemes is not None:
            lexemes[(kind, item_id)] = row.lexemes or []
        hits.append(hit)
    return hits
