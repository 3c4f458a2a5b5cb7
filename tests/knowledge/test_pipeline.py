"""Upload -> queue -> worker -> chunks -> search, on real PostgreSQL + pgvector with the offline model."""

from __future__ import annotations

import psycopg
import pytest

from chatai_app.db import session_scope
from chatai_app.services.errors import Conflict, NotFound
from chatai_app.services.knowledge import documents, qa, retrieval
from chatai_app.services.knowledge.evaluation import article_text
from chatai_app.services.knowledge.uploads import UploadRejected
from tests.knowledge import files
from tests.knowledge.conftest import Workspace, drain_queue, xquad


async def _add(ws: Workspace, name: str, data: bytes) -> documents.DocumentOut:
    async with session_scope() as session:
        return await documents.add_document(
            session=session, tenant_id=ws.tenant_id, assistant_id=ws.assistant_id, filename=name, data=data
        )


async def _search(ws: Workspace, query: str, k: int = 3, mode: str = "hybrid") -> list[retrieval.Hit]:
    async with session_scope() as session:
        return await retrieval.search(
            session=session, tenant_id=ws.tenant_id, assistant_id=ws.assistant_id, query=query, k=k, mode=mode
        )


async def _documents(ws: Workspace) -> list[documents.DocumentOut]:
    async with session_scope() as session:
        return await documents.list_documents(session=session, tenant_id=ws.tenant_id, assistant_id=ws.assistant_id)


def _count(url: str, sql: str) -> int:
    with psycopg.connect(url) as conn:
        return conn.execute(sql).fetchone()[0]


async def test_txt_docx_and_pdf_become_searchable_through_the_queue(shop: Workspace) -> None:
    en, ru = xquad("en")["data"], xquad("ru")["data"]
    await _add(shop, "super_bowl.txt", article_text(en[0]).encode())
    await _add(shop, "ru_article.docx", files.make_docx(ru[1]["title"], [p["context"] for p in ru[1]["paragraphs"]]))
    await _add(shop, "en_article.pdf", files.make_pdf([[p["context"]] for p in en[2]["paragraphs"]]))
    assert {d.status for d in await _documents(shop)} == {"pending"}

    await drain_queue()

    docs = await _documents(shop)
    assert {d.status for d in docs} == {"ready"}, [(d.filename, d.error) for d in docs]
    assert all(d.chunk_count > 0 for d in docs)
    for article, extension in ((en[0], ".txt"), (ru[1], ".docx"), (en[2], ".pdf")):
        qa_item = article["paragraphs"][0]["qas"][0]
        hits = await _search(shop, qa_item["question"])
        answers = [a["text"] for a in qa_item["answers"]]
        assert any(any(a in h.text for a in answers) for h in hits), (qa_item["question"], hits)
        assert hits[0].document_name.endswith(extension)
    pdf_hits = [
        h for h in await _search(shop, en[2]["paragraphs"][1]["qas"][0]["question"]) if h.document_name.endswith(".pdf")
    ]
    assert pdf_hits and pdf_hits[0].page == 2  # one paragraph per page in the generated PDF


async def test_duplicates_and_rejections_store_nothing(shop: Workspace, clean_db: str) -> None:
    await _add(shop, "a.txt", b"Opening hours: 9 to 18.")
    with pytest.raises(Conflict, match=r"same content as a\.txt"):
        await _add(shop, "copy.txt", b"Opening hours: 9 to 18.")
    with pytest.raises(UploadRejected, match="macros"):
        await _add(shop, "m.docx", files.with_macros(files.make_docx("T", ["x"])))
    assert _count(clean_db, "SELECT count(*) FROM documents") == 1
    assert _count(clean_db, "SELECT count(*) FROM document_files") == 1
    assert _count(clean_db, "SELECT count(*) FROM procrastinate_jobs") == 1


async def test_reindex_and_delete(shop: Workspace, clean_db: str) -> None:
    document = await _add(shop, "hours.txt", b"# Hours\n\nWe open at nine and close at six.")
    await drain_queue()
    async with session_scope() as session:
        queued = await documents.reindex_document(session=session, tenant_id=shop.tenant_id, document_id=document.id)
    assert queued.status == "pending"
    await drain_queue()
    assert (await _documents(shop))[0].status == "ready"
    assert _count(clean_db, "SELECT count(*) FROM knowledge_chunks") == 1  # replaced, not duplicated
    async with session_scope() as session:
        await documents.delete_document(session=session, tenant_id=shop.tenant_id, document_id=document.id)
    assert _count(clean_db, "SELECT count(*) FROM knowledge_chunks") == 0
    assert _count(clean_db, "SELECT count(*) FROM document_files") == 0


async def test_a_file_without_text_fails_with_its_reason(shop: Workspace) -> None:
    await _add(shop, "scan.pdf", files.make_pdf([[" "]]))
    await drain_queue()
    (document,) = await _documents(shop)
    assert document.status == "failed" and "no text could be extracted" in document.error


async def test_tenants_never_see_each_other(shop: Workspace, rival: Workspace) -> None:
    await _add(shop, "secret.txt", b"The shop safe code is 4711.")
    await _add(rival, "public.txt", b"The rival sells bicycles.")
    await drain_queue()
    assert all("rival" not in h.text for h in await _search(shop, "bicycles safe code"))
    foreign = Workspace(rival.tenant_id, shop.assistant_id)  # rival's tenant, shop's assistant id
    with pytest.raises(NotFound):
        await _search(foreign, "safe code")
    with pytest.raises(NotFound):
        await _add(foreign, "x.txt", b"intrusion")
    async with session_scope() as session:
        shop_doc = (await _documents(shop))[0]
        with pytest.raises(NotFound):
            await documents.delete_document(session=session, tenant_id=rival.tenant_id, document_id=shop_doc.id)


async def test_qa_exact_match_wins_and_csv_import_reports_bad_rows(shop: Workspace) -> None:
    await _add(shop, "policy.txt", b"Refunds are processed within 10 business days of receiving the item.")
    await drain_queue()
    csv_data = "question,answer\nHow long do refunds take?,Ten business days.\nbroken row only\n,empty question\n"
    async with session_scope() as session:
        report = await qa.import_qa_csv(
            session=session, tenant_id=shop.tenant_id, assistant_id=shop.assistant_id, data=csv_data.encode()
        )
    assert report.imported == 1 and len(report.errors) == 2
    hits = await _search(shop, "how long do refunds take")
    assert hits[0].kind == "qa" and hits[0].answer == "Ten business days." and hits[0].score == 1.0
    async with session_scope() as session:
        pairs = await qa.list_qa(session=session, tenant_id=shop.tenant_id, assistant_id=shop.assistant_id)
        await qa.update_qa(
            session=session, tenant_id=shop.tenant_id, qa_id=pairs[0].id, question="Refund time?", answer="10 days."
        )
    assert (await _search(shop, "Refund time?"))[0].answer == "10 days."
