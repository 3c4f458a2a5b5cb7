"""Knowledge over the JSON API: upload (multipart), status, search, Q&A, and clear errors."""

from __future__ import annotations

import httpx

from tests.knowledge.conftest import drain_queue
from tests.test_api import SIGNUP, _client


async def _owner(client: httpx.AsyncClient, email: str) -> dict[str, str]:
    tokens = (await client.post("/api/v1/auth/signup", json={**SIGNUP, "email": email})).json()
    return {"Authorization": f"Bearer {tokens['access_token']}"}


async def test_upload_search_and_qa_over_http(clean_db: str) -> None:
    async with _client() as api:
        auth = await _owner(api, "kb@example.com")
        assistant = (await api.post("/api/v1/assistants", json={"name": "Support"}, headers=auth)).json()
        base = f"/api/v1/assistants/{assistant['id']}"
        files = {"file": ("faq.md", b"# FAQ\n\nParcels to Kazan arrive in three days.", "text/markdown")}
        uploaded = await api.post(f"{base}/documents", files=files, headers=auth)
        assert uploaded.status_code == 201 and uploaded.json()["status"] == "pending"

        rejected = await api.post(f"{base}/documents", files={"file": ("x.txt", b"", "text/plain")}, headers=auth)
        assert rejected.status_code == 422
        assert rejected.json() == {"error": "upload_rejected", "message": "x.txt: the file is empty", "reason": "empty"}
        duplicate = await api.post(f"{base}/documents", files=files, headers=auth)
        assert duplicate.status_code == 409

        await drain_queue()
        listed = (await api.get(f"{base}/documents", headers=auth)).json()
        assert [d["status"] for d in listed] == ["ready"]
        hits = (await api.get(f"{base}/search", params={"q": "how long to Kazan", "k": 2}, headers=auth)).json()
        assert hits[0]["document"] == "faq.md" and "three days" in hits[0]["text"]

        created = await api.post(f"{base}/qa", json={"question": "Do you ship abroad?", "answer": "No."}, headers=auth)
        assert created.status_code == 201
        bad = await api.post(f"{base}/qa", json={"question": "", "answer": "x"}, headers=auth)
        assert bad.status_code == 422 and "question" in bad.json()["fields"]
        csv_file = {"file": ("qa.csv", "вопрос;ответ\nЕсть самовывоз?;Да, на Ленина 1\n".encode(), "text/csv")}
        report = (await api.post(f"{base}/qa/import", files=csv_file, headers=auth)).json()
        assert report == {"imported": 1, "errors": []}


async def test_other_tenants_get_404_for_foreign_assistants(clean_db: str) -> None:
    async with _client() as api:
        owner = await _owner(api, "a@example.com")
        intruder = await _owner(api, "b@example.com")
        assistant = (await api.post("/api/v1/assistants", json={"name": "Private"}, headers=owner)).json()
        base = f"/api/v1/assistants/{assistant['id']}"
        for response in (
            await api.get(f"{base}/documents", headers=intruder),
            await api.get(f"{base}/search", params={"q": "x"}, headers=intruder),
            await api.post(f"{base}/documents", files={"file": ("a.txt", b"hi", "text/plain")}, headers=intruder),
        ):
            assert response.status_code == 404
        assert (await api.get("/api/v1/assistants", headers=intruder)).json() == []
