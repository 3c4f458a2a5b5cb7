"""BM25's term statistics (migration 0013's triggers) stay equal to a count from scratch through every change."""

from __future__ import annotations

import psycopg
import sqlalchemy as sa

from chatai_app.db import session_scope
from chatai_app.services import assistants
from chatai_app.services.knowledge import documents, qa, retrieval
from chatai_app.services.knowledge.evaluation import article_text
from tests.knowledge.conftest import Workspace, drain_queue, xquad

_COUNTED = """
    SELECT tenant_id, assistant_id, %(source)s, lexeme, count(*)
      FROM {table}, unnest(tsvector_to_array(tsv)) AS lexeme GROUP BY tenant_id, assistant_id, lexeme
"""
_SCOPE = "SELECT tenant_id, assistant_id, %(source)s, count(*), sum(length(tsv)) FROM {table} GROUP BY 1, 2"
_TABLES = {"chunk": "knowledge_chunks", "qa": "qa_knowledge"}


def _stats(url: str) -> tuple[set[tuple], set[tuple], set[tuple], set[tuple]]:
    """(kept terms, counted terms, kept scopes, counted scopes); empty scopes count as absent."""
    with psycopg.connect(url) as conn:
        kept_terms = set(conn.execute("SELECT tenant_id, assistant_id, source, lexeme, df FROM search_term_stats"))
        kept_scopes = set(
            conn.execute("SELECT tenant_id, assistant_id, source, n, total_length FROM search_scope_stats WHERE n > 0")
        )
        counted_terms: set[tuple] = set()
        counted_scopes: set[tuple] = set()
        for source, table in _TABLES.items():
            counted_terms |= set(conn.execute(_COUNTED.format(table=table), {"source": source}))
            counted_scopes |= set(conn.execute(_SCOPE.format(table=table), {"source": source}))
    return kept_terms, counted_terms, kept_scopes, counted_scopes


def _assert_exact(url: str) -> int:
    kept_terms, counted_terms, kept_scopes, counted_scopes = _stats(url)
    assert kept_terms == counted_terms
    assert kept_scopes == counted_scopes
    return len(kept_terms)


async def _add(ws: Workspace, name: str, text: str) -> documents.DocumentOut:
    async with session_scope() as session:
        return await documents.add_document(
            session=session, tenant_id=ws.tenant_id, assistant_id=ws.assistant_id, filename=name, data=text.encode()
        )


async def test_term_statistics_follow_ingestion_edits_and_deletions(clean_db: str, shop: Workspace,
                                                                    rival: Workspace) -> None:  # fmt: skip
    en, ru = xquad("en")["data"], xquad("ru")["data"]
    first = await _add(shop, "a.txt", article_text(en[0]))
    await _add(shop, "b.txt", article_text(ru[1]))
    await _add(rival, "c.txt", article_text(en[0]))
    await drain_queue()
    assert _assert_exact(clean_db) > 100
    async with session_scope() as session:
        pair = await qa.create_qa(session=session, tenant_id=shop.tenant_id, assistant_id=shop.assistant_id,
                                  question="How long does delivery take?", answer="Two days.")  # fmt: skip
    _assert_exact(clean_db)
    async with session_scope() as session:
        await qa.update_qa(session=session, tenant_id=shop.tenant_id, qa_id=pair.id,
                           question="Сколько идёт доставка?", answer="Два дня.")  # fmt: skip
    _assert_exact(clean_db)

    async with session_scope() as session:  # re-indexing swaps the chunks
        await documents.reindex_document(session=session, tenant_id=shop.tenant_id, document_id=first.id)
    await drain_queue()
    _assert_exact(clean_db)
    async with session_scope() as session:
        await documents.delete_document(session=session, tenant_id=shop.tenant_id, document_id=first.id)
        await qa.delete_qa(session=session, tenant_id=shop.tenant_id, qa_id=pair.id)
    _assert_exact(clean_db)

    await assistants.delete_assistant(tenant_id=shop.tenant_id, assistant_id=shop.assistant_id)
    assert _assert_exact(clean_db) > 0  # the rival's own statistics are untouched
    with psycopg.connect(clean_db) as conn:
        left = conn.execute("SELECT count(*) FROM search_term_stats WHERE assistant_id = %s", (shop.assistant_id,))
        assert left.fetchone()[0] == 0


class _Statements:
    """The SQL the app's engine runs meanwhile."""

    def __init__(self) -> None:
        import sqlalchemy as sa

        from chatai_app.db import get_async_engine

        self.texts: list[str] = []
        self._engine = get_async_engine().sync_engine
        self._listen, self._remove = sa.event.listen, sa.event.remove

    def _record(self, conn: object, cursor: object, statement: str, *args: object) -> None:
        self.texts.append(statement)

    def __enter__(self) -> _Statements:
        self._listen(self._engine, "before_cursor_execute", self._record)
        return self

    def __exit__(self, *exc: object) -> None:
        self._remove(self._engine, "before_cursor_execute", self._record)


async def _search(ws: Workspace, query: str) -> list:
    from chatai_app.services.knowledge.retrieval import search

    async with session_scope() as session:
        return await search(session=session, tenant_id=ws.tenant_id, assistant_id=ws.assistant_id, query=query)


async def test_search_reads_only_the_sources_the_assistant_has(clean_db: str, shop: Workspace) -> None:
    """The scope statistics say which sources hold rows: no Q&A queries for an assistant without Q&A pairs, and
    none at all for an empty one; a Q&A pair added later is found."""
    with _Statements() as empty:
        assert await _search(shop, "How long does delivery take?") == []
    assert not any("knowledge_chunks" in s or "qa_knowledge" in s for s in empty.texts)
    await _add(shop, "delivery.txt", "# Delivery\n\nCourier delivery takes two days and costs 300 roubles.")
    await drain_queue()
    with _Statements() as chunks_only:
        hits = await _search(shop, "How long does courier delivery take?")
    assert hits and hits[0].kind == "chunk"
    assert any("knowledge_chunks" in s for s in chunks_only.texts)
    assert not any("qa_knowledge" in s for s in chunks_only.texts)
    async with session_scope() as session:
        await qa.create_qa(session=session, tenant_id=shop.tenant_id, assistant_id=shop.assistant_id,
                           question="Do you deliver on Sundays?", answer="No, Monday to Saturday.")  # fmt: skip
    await drain_queue()
    hits = await _search(shop, "Do you deliver on Sundays?")
    assert hits[0].kind == "qa" and hits[0].answer == "No, Monday to Saturday."


async def test_the_vector_queries_run_under_the_search_hnsw_settings(clean_db: str, shop: Workspace) -> None:
    """The search sets them with its first statement (issue 16: a round trip of its own before): they hold for the
    rest of its transaction, where the vector queries run, and end with it."""
    async with session_scope() as session:
        await documents.add_document(session=session, tenant_id=shop.tenant_id, assistant_id=shop.assistant_id,
                                     filename="delivery.txt", data=b"# Delivery\n\nTwo days by courier.")  # fmt: skip
    await drain_queue()
    settings = sa.text("SELECT current_setting('hnsw.ef_search', true), current_setting('hnsw.iterative_scan', true)")
    async with session_scope() as session:
        hits = await retrieval.search(session=session, tenant_id=shop.tenant_id, assistant_id=shop.assistant_id,
                                      query="How long does delivery take?", mode="vector")  # fmt: skip
        assert hits and tuple((await session.exec(settings)).one()) == (str(retrieval.HNSW_EF_SEARCH), "relaxed_order")
    async with session_scope() as session:
        assert tuple((await session.exec(settings)).one()) != (str(retrieval.HNSW_EF_SEARCH), "relaxed_order")
