"""An OpenAI-compatible embeddings endpoint (a local HTTP server) and switching models re-embeds."""

from __future__ import annotations

import os

import psycopg

from chatai_app.db import session_scope
from chatai_app.services.knowledge import documents, qa, retrieval
from chatai_app.settings import get_settings
from tests.fakes.openai_server import DIM, running_fake_openai
from tests.knowledge.conftest import Workspace, drain_queue


async def test_switching_to_an_openai_compatible_model_reembeds_everything(shop: Workspace, clean_db: str) -> None:
    async with session_scope() as session:
        await documents.add_document(
            session=session,
            tenant_id=shop.tenant_id,
            assistant_id=shop.assistant_id,
            filename="bikes.txt",
            data=b"# Bikes\n\nWe repair bicycles and scooters every weekday.",
        )
        await qa.create_qa(
            session=session,
            tenant_id=shop.tenant_id,
            assistant_id=shop.assistant_id,
            question="Do you fix scooters?",
            answer="Yes, every weekday.",
        )
    await drain_queue()
    with running_fake_openai() as server:
        os.environ["OPENAI_BASE_URL"], os.environ["OPENAI_API_KEY"] = server.base_url, "test-key"
        get_settings.cache_clear()
        try:
            async with session_scope() as session:
                queued = await documents.change_embedding_model(
                    session=session, tenant_id=shop.tenant_id, assistant_id=shop.assistant_id, model="openai:tiny"
                )
            assert queued == 1
            await drain_queue()
            async with session_scope() as session:
                hits = await retrieval.search(
                    session=session,
                    tenant_id=shop.tenant_id,
                    assistant_id=shop.assistant_id,
                    query="repair bicycles",
                    k=3,
                    mode="vector",
                )
        finally:
            del os.environ["OPENAI_BASE_URL"], os.environ["OPENAI_API_KEY"]
            get_settings.cache_clear()
    assert any(path.endswith("/embeddings") and body["model"] == "tiny" for path, body in server.requests)
    assert [h.kind for h in hits][:1] == ["chunk"] and "bicycles" in hits[0].text
    with psycopg.connect(clean_db) as conn:
        rows = conn.execute(
            "SELECT embedding_model, embedding_dim FROM knowledge_chunks UNION SELECT embedding_model, embedding_dim "
            "FROM qa_knowledge"
        ).fetchall()
    assert rows == [("openai:tiny", DIM)]
