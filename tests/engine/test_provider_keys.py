"""Provider keys: encrypted at rest, never shown in clear, tenant key before platform pool before settings."""

from __future__ import annotations

import psycopg

from chatai_app.db import session_scope
from chatai_app.services import accounts, provider_keys
from chatai_app.services.conversation import Incoming, handle_incoming
from tests.engine.test_conversation import _with_knowledge
from tests.fakes.openai_server import FakeOpenAIServer
from tests.knowledge.conftest import Workspace
from tests.test_api import SIGNUP, _client


async def test_tenant_key_then_platform_pool_then_settings(
    shop: Workspace,
    fake_llm: FakeOpenAIServer,
    clean_db: str,
) -> None:
    await _with_knowledge(shop, provider="openai", model="fake-gpt")

    async def ask(chat: str) -> str:
        await handle_incoming(Incoming(shop.tenant_id, shop.assistant_id, "api", chat, "delivery to Kazan?"))
        return fake_llm.auth_headers[-1]

    assert await ask("c1") == "Bearer test"  # OPENAI_API_KEY from settings

    async with session_scope() as session:
        await accounts.create_admin(session=session, email="root@example.com", password="root password")
    async with _client() as api:
        admin = (
            await api.post("/api/v1/auth/login", json={"email": "root@example.com", "password": "root password"})
        ).json()
        admin_auth = {"Authorization": f"Bearer {admin['access_token']}"}
        pool = await api.post(
            "/api/v1/admin/provider-keys",
            json={"api_key": "sk-platform-000111", "base_url": fake_llm.base_url, "models": ["fake-gpt"]},
            headers=admin_auth,
        )
        assert pool.status_code == 201 and pool.json()["key_hint"] == "sk-…0111"
        owner = (await api.post("/api/v1/auth/signup", json={**SIGNUP, "email": "other@example.com"})).json()
        forbidden = await api.post(
            "/api/v1/admin/provider-keys", json={"api_key": "sk-x-123456789"},
            headers={"Authorization": f"Bearer {owner['access_token']}"},
        )  # fmt: skip
        assert forbidden.status_code == 403
    assert await ask("c2") == "Bearer sk-platform-000111"

    async with session_scope() as session:
        await provider_keys.add_key(
            session=session, tenant_id=shop.tenant_id, api_key="sk-tenant-999888", base_url=fake_llm.base_url
        )
    assert await ask("c3") == "Bearer sk-tenant-999888"

    with psycopg.connect(clean_db) as conn:
        stored = [row[0] for row in conn.execute("SELECT api_key_encrypted FROM provider_keys")]
    assert stored and all("sk-" not in value for value in stored)  # encrypted at rest
