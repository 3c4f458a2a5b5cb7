"""The platform admins' console (issue 14, items 5-8): users and workspaces, blocking with its effects on sign-in,
sessions and the widget, plan and balance changes in roubles with the audit log, the read-only database explorer,
the log viewer, the outbox, and knowledge gaps."""

from __future__ import annotations

import json
import logging

import httpx
from sqlmodel import select

from chatai_app.db import session_scope
from chatai_app.models import AuditLog
from chatai_app.services import accounts, logbook
from tests.team.conftest import log_in, sign_up

PASSWORD = "correct horse battery 1"
OWNER = "owner@example.com"


async def _admin(api: httpx.AsyncClient) -> dict[str, str]:
    async with session_scope() as session:
        await accounts.create_admin(session=session, email="root@example.com", password=PASSWORD)
    return await log_in(api, "root@example.com")


async def _widget_says(api: httpx.AsyncClient, assistant_id: str, text: str) -> tuple[str, list[dict]]:
    base = f"/api/widget/v1/{assistant_id}/"
    token = (await api.post(base + "visitor", headers={"Origin": "https://shop.example"})).json()["token"]
    headers = {"Origin": "https://shop.example", "X-Visitor-Token": token}
    outcome = ""
    async with api.stream("POST", base + "messages", json={"text": text}, headers=headers) as response:
        assert response.status_code == 200
        async for line in response.aiter_lines():
            if line.startswith("data: ") and "outcome" in line:
                outcome = json.loads(line[6:])["outcome"]
    shown = (await api.get(base + "messages", headers=headers)).json()["messages"]
    return outcome, shown


async def test_only_platform_admins_reach_the_console(api: httpx.AsyncClient) -> None:
    owner = await sign_up(api, OWNER)
    for path in (
        "/api/v1/admin/users",
        "/api/v1/admin/workspaces",
        "/api/v1/admin/db/tables",
        "/api/v1/admin/logs",
        "/api/v1/admin/outbox",
        "/api/v1/admin/db/tables/users",
        "/api/v1/admin/security",
    ):
        assert (await api.get(path, headers=owner)).status_code == 403, path
        assert (await api.get(path)).status_code == 401, path


async def test_block_user_and_workspace_then_unblock(api: httpx.AsyncClient) -> None:
    admin = await _admin(api)
    owner = await sign_up(api, OWNER, workspace="Flower Shop")
    assistant = (await api.post("/api/v1/assistants", json={"name": "Helper"}, headers=owner)).json()
    outcome, _ = await _widget_says(api, assistant["id"], "hello, do you deliver?")
    assert outcome != "blocked"

    users = (await api.get("/api/v1/admin/users", params={"q": "owner@"}, headers=admin)).json()
    assert [u["email"] for u in users] == [OWNER]
    spaces = (await api.get("/api/v1/admin/workspaces", params={"q": "flower"}, headers=admin)).json()
    assert [(w["name"], w["owner_email"]) for w in spaces] == [("Flower Shop", OWNER)]
    tenant_id = spaces[0]["id"]
    detail = (await api.get(f"/api/v1/admin/workspaces/{tenant_id}", headers=admin)).json()
    assert detail["tenant"]["plan_code"] == "free" and detail["assistants"][0]["name"] == "Helper"
    assert detail["usage"]["assistants"] == 1 and detail["dialogs_total"] == 1

    no_reason = await api.post(f"/api/v1/admin/users/{users[0]['id']}/block", json={"reason": ""}, headers=admin)
    assert no_reason.status_code == 422
    blocked = await api.post(f"/api/v1/admin/users/{users[0]['id']}/block", json={"reason": "fraud"}, headers=admin)
    assert blocked.json() == {"sessions_ended": 1}
    assert (await api.get("/api/v1/auth/me", headers=owner)).status_code == 401
    refused = await api.post("/api/v1/auth/login", json={"email": OWNER, "password": PASSWORD})
    assert refused.status_code == 403 and "blocked" in refused.json()["message"]
    wrong = await api.post("/api/v1/auth/login", json={"email": OWNER, "password": "wrong password"})
    assert wrong.status_code == 401  # without the password nobody learns the account is blocked

    assert (
        await api.post(f"/api/v1/admin/workspaces/{tenant_id}/block", json={"reason": "unpaid invoices"}, headers=admin)
    ).status_code == 204
    outcome, shown = await _widget_says(api, assistant["id"], "are you open today?")
    assert outcome == "blocked"
    assert "temporarily unavailable" in shown[-1]["text"]

    assert (await api.post(f"/api/v1/admin/workspaces/{tenant_id}/unblock", headers=admin)).status_code == 204
    assert (await api.post(f"/api/v1/admin/users/{users[0]['id']}/unblock", headers=admin)).status_code == 204
    await log_in(api, OWNER)
    outcome, _ = await _widget_says(api, assistant["id"], "are you open today?")
    assert outcome != "blocked"
    async with session_scope() as session:
        actions = [a for a in (await session.exec(select(AuditLog.action))).all() if a.startswith("admin.")]
    assert actions == [
        "admin.user_blocked",
        "admin.workspace_blocked",
        "admin.workspace_unblocked",
        "admin.user_unblocked",
    ]


async def test_plan_and_balance_in_roubles_are_audited(api: httpx.AsyncClient) -> None:
    admin = await _admin(api)
    await sign_up(api, OWNER)
    tenant_id = (await api.get("/api/v1/admin/workspaces", params={"q": OWNER}, headers=admin)).json()[0]["id"]
    before = (await api.get(f"/api/v1/admin/workspaces/{tenant_id}", headers=admin)).json()["tenant"]["balance_minor"]
    credited = await api.post(
        f"/api/v1/admin/workspaces/{tenant_id}/balance",
        json={"amount_rub": "1 500,50", "reason": "compensation"},
        headers=admin,
    )
    assert credited.json() == {"balance_minor": before + 150050}
    for amount in ("abc", "0", "1.005"):
        bad = await api.post(
            f"/api/v1/admin/workspaces/{tenant_id}/balance",
            json={"amount_rub": amount, "reason": "x y z"},
            headers=admin,
        )
        assert bad.status_code == 422, amount
    debited = await api.post(
        f"/api/v1/admin/workspaces/{tenant_id}/balance",
        json={"amount_rub": "-0.50", "reason": "correction"},
        headers=admin,
    )
    assert debited.json() == {"balance_minor": before + 150000}
    assert (
        await api.put(f"/api/v1/admin/workspaces/{tenant_id}/plan", json={"plan_code": "pro"}, headers=admin)
    ).status_code == 204
    detail = (await api.get(f"/api/v1/admin/workspaces/{tenant_id}", headers=admin)).json()
    assert detail["tenant"]["plan_code"] == "pro"
    assert [a["action"] for a in detail["audit"]][:3] == [
        "admin.plan_changed",
        "admin.balance_adjusted",
        "admin.balance_adjusted",
    ]


async def test_database_explorer_is_read_only_paged_filtered_and_masks_secrets(api: httpx.AsyncClient) -> None:
    admin = await _admin(api)
    for i in range(3):
        await sign_up(api, f"user{i}@example.com")
    tables = {t["name"]: t for t in (await api.get("/api/v1/admin/db/tables", headers=admin)).json()}
    assert tables["users"]["rows"] == 4 and tables["users"]["size_bytes"] > 0 and "alembic_version" in tables
    page = (await api.get("/api/v1/admin/db/tables/users", params={"page_size": 2}, headers=admin)).json()
    assert page["total"] == 4 and len(page["rows"]) == 2
    columns = [c["name"] for c in page["columns"]]
    hashed = columns.index("password_hash")
    assert all(row[hashed] == "••••••" for row in page["rows"])
    assert "$argon2" not in json.dumps(page)
    filtered = (await api.get("/api/v1/admin/db/tables/users", params={"f.email": "USER1"}, headers=admin)).json()
    assert filtered["total"] == 1 and filtered["rows"][0][columns.index("email")] == "user1@example.com"
    sessions = (await api.get("/api/v1/admin/db/tables/auth_sessions", headers=admin)).json()
    token_hash = [c["name"] for c in sessions["columns"]].index("token_hash")
    assert {row[token_hash] for row in sessions["rows"]} == {"••••••"}
    outbox = (await api.get("/api/v1/admin/db/tables/email_outbox", headers=admin)).json()
    assert "token=" not in json.dumps(outbox)
    assert (
        await api.get("/api/v1/admin/db/tables/users", params={"f.password_hash": "a"}, headers=admin)
    ).status_code == 422
    assert (await api.get("/api/v1/admin/db/tables/pg_authid", headers=admin)).status_code == 404
    assert (await api.get('/api/v1/admin/db/tables/users"; DROP TABLE users; --', headers=admin)).status_code == 404
    assert (await api.get("/api/v1/admin/db/tables/users", params={"f.nope": "x"}, headers=admin)).status_code == 422


async def test_outbox_shows_held_mail_to_admins(api: httpx.AsyncClient) -> None:
    admin = await _admin(api)
    owner = await sign_up(api, OWNER)
    assert (
        await api.post("/api/v1/team/invites", json={"email": "ivan@example.com"}, headers=owner)
    ).status_code == 201
    mail = (await api.get("/api/v1/admin/outbox", params={"q": "ivan"}, headers=admin)).json()
    assert len(mail) == 1 and mail[0]["status"] == "held" and "/accept-invite?token=" in mail[0]["body_text"]


async def test_log_viewer_filters_by_level_text_and_tenant(api: httpx.AsyncClient, clean_db: str) -> None:
    admin = await _admin(api)
    handler = logbook.install(clean_db, "test")
    assert handler is not None
    owner = await sign_up(api, OWNER)
    tenant_id = (await api.get("/api/v1/auth/me", headers=owner)).json()["tenant_id"]
    log = logging.getLogger("chatai_app.test")
    log.info("ordinary event one")
    log.warning("disk is nearly full", extra={"tenant_id": tenant_id})
    logging.getLogger("some.library").info("noise that is not kept")
    handler.flush_now()
    everything = (await api.get("/api/v1/admin/logs", params={"q": "event"}, headers=admin)).json()
    assert [r["message"] for r in everything] == ["ordinary event one"]
    warnings = (await api.get("/api/v1/admin/logs", params={"level": "WARNING"}, headers=admin)).json()
    assert [r["message"] for r in warnings] == ["disk is nearly full"]
    mine = (await api.get("/api/v1/admin/logs", params={"tenant_id": tenant_id}, headers=admin)).json()
    assert [r["level"] for r in mine] == ["WARNING"]
    assert not (await api.get("/api/v1/admin/logs", params={"q": "noise"}, headers=admin)).json()
    assert (await api.get("/api/v1/admin/logs", params={"level": "LOUD"}, headers=admin)).status_code == 422
    logging.getLogger().removeHandler(handler)
    logbook._installed = None


async def test_knowledge_gaps_are_grouped_and_one_qa_pair_closes_them(api: httpx.AsyncClient) -> None:
    owner = await sign_up(api, OWNER)
    assistant = (await api.post("/api/v1/assistants", json={"name": "Helper"}, headers=owner)).json()
    chat = f"/api/v1/assistants/{assistant['id']}/chat"
    asked = [
        "Do you ship to Kazakhstan?",
        "do you ship to kazakhstan",
        "Do you ship to Kazakhstan??",
        "What is the warranty on the vases?",
        "I want a human operator",
    ]
    for i, text in enumerate(asked):
        reply = await api.post(chat, json={"text": text, "conversation_id": f"c{i}"}, headers=owner)
        assert reply.status_code == 200, reply.text
    gaps = (await api.get(f"/api/v1/assistants/{assistant['id']}/knowledge-gaps", headers=owner)).json()
    top = gaps[0]
    assert top["count"] == 3 and top["question"].lower().startswith("do you ship to kazakhstan")
    assert {g["question"] for g in gaps[1:]} >= {"What is the warranty on the vases?"}
    assert (await api.get("/api/v1/knowledge-gaps", headers=owner)).json()[0]["count"] == 3

    answered = await api.post(
        f"/api/v1/assistants/{assistant['id']}/knowledge-gaps/answer",
        json={"question": top["question"], "answer": "Yes, in 5 to 7 days."},
        headers=owner,
    )
    assert answered.status_code == 201
    after = (await api.get(f"/api/v1/assistants/{assistant['id']}/knowledge-gaps", headers=owner)).json()
    assert all("kazakhstan" not in g["question"].lower() for g in after)
    reply = (
        await api.post(chat, json={"text": "Do you ship to Kazakhstan?", "conversation_id": "later"}, headers=owner)
    ).json()
    assert "5 to 7 days" in reply["reply_text"]
