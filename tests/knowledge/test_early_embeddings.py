"""Issue 16: a question's embedding started before the search (by the engine, while it stores the message) is the
one the search ranks with, when it was started for the same question and model; the engine starts it only where a
search is expected."""

from __future__ import annotations

import asyncio
import uuid

from chatai_app.db import session_scope
from chatai_app.models import Assistant, DialogStatus
from chatai_app.services.early_embeddings import EarlyEmbeddings
from chatai_app.services.knowledge import documents, retrieval
from chatai_app.services.knowledge.embeddings import provider_for
from tests.knowledge.conftest import Workspace, drain_queue

QUESTION = "How long does courier delivery take?"


async def _search(ws: Workspace, early: retrieval.QueryVector | None = None) -> list[str]:
    async with session_scope() as session:
        hits = await retrieval.search(session=session, tenant_id=ws.tenant_id, assistant_id=ws.assistant_id,
                                      query=QUESTION, k=2, mode="vector", early=early)  # fmt: skip
    return [hit.document_name or "" for hit in hits]


def _ready(vector: list[float]) -> asyncio.Future[list[float]]:
    future: asyncio.Future[list[float]] = asyncio.get_running_loop().create_future()
    future.set_result(vector)
    return future


async def test_the_search_ranks_with_the_vector_started_for_its_question(clean_db: str, shop: Workspace) -> None:
    async with session_scope() as session:
        for name, text in (
            ("delivery.txt", "# Delivery\n\nCourier delivery takes two days and costs 300 roubles."),
            ("bread.txt", "# Bread\n\nKnead the dough, let it rise for an hour, bake at 220 C."),
        ):
            await documents.add_document(session=session, tenant_id=shop.tenant_id, assistant_id=shop.assistant_id,
                                         filename=name, data=text.encode())  # fmt: skip
    await drain_queue()
    provider = provider_for("")
    assert (await _search(shop))[0] == "delivery.txt"
    # A vector of another question, handed over as this question's: the search ranks with it, embedding nothing.
    bread = await provider.embed_query("How long do I bake bread?")
    assert (await _search(shop, retrieval.QueryVector(provider.name, QUESTION, _ready(bread))))[0] == "bread.txt"
    # Started for another question or another model: not used, the search embeds its own question.
    for model, query in ((provider.name, "How long do I bake bread?"), ("openai:other-model", QUESTION)):
        assert (await _search(shop, retrieval.QueryVector(model, query, _ready(bread))))[0] == "delivery.txt"


def _assistant(knowledge: bool = True) -> Assistant:
    return Assistant(id=uuid.uuid4(), tenant_id=uuid.uuid4(), name="Helper", knowledge_enabled=knowledge)


async def test_the_engine_starts_an_embedding_only_where_it_expects_a_search() -> None:
    early = EarlyEmbeddings(size=2)
    helper, closed = _assistant(), _assistant(knowledge=False)
    chat, other_chat = (helper.id, "widget", "visitor-1"), (helper.id, "widget", "visitor-2")
    assert early.start(helper.id, chat, QUESTION) is None  # the assistant's model is not known yet
    early.learn(helper, chat, DialogStatus.ai)
    started = early.start(helper.id, chat, f"  {QUESTION}  ")
    assert started is not None and started.query == QUESTION
    assert await started.task == await provider_for("").embed_query(QUESTION)
    assert early.start(helper.id, chat, "Hello!") is None  # small talk searches nothing

    early.learn(helper, chat, DialogStatus.operator)  # an operator has this conversation: the AI stays silent
    assert early.start(helper.id, chat, QUESTION) is None
    await _started(early.start(helper.id, other_chat, QUESTION))
    early.learn(helper, chat, DialogStatus.ai)  # released back to the AI
    await _started(early.start(helper.id, chat, QUESTION))

    early.learn(closed, (closed.id, "api", "c"), DialogStatus.ai)  # knowledge off
    assert early.start(closed.id, (closed.id, "api", "c"), QUESTION) is None
    early.learn(_assistant(), chat, DialogStatus.ai)  # a third assistant: the least recently seen is forgotten
    assert early.start(helper.id, other_chat, QUESTION) is None


async def _started(early: retrieval.QueryVector | None) -> None:
    assert early is not None
    early.cancel()  # the turn searched nothing: not embedded
    await asyncio.gather(early.task, return_exceptions=True)
    assert early.task.cancelled()
