"""The team (issue 14, item 1) over the HTTP API, with e-mail through a real local SMTP server."""

from __future__ import annotations

import httpx
import pytest
from sqlmodel import select

from chatai_app.db import session_scope
from chatai_app.models import AuditLog, EmailMessage
from tests.billing.test_billing_flows import stripe_api  # noqa: F401
from tests.team.conftest import Inbox, delivered, log_in, sign_up

OWNER = "owner@example.com"
PASSWORD = "operator pass phrase 7"


async def _invite(
    api: httpx.AsyncClient, headers: dict[str, str], email: str, role: str = "operator", lang: str = "en"
) -> dict:
    response = await api.post(
        "/api/v1/team/invites", json={"email": email, "role": role, "lang": lang}, headers=headers
    )
    assert response.status_code == 201, response.text
    return response.json()


async def test_owner_invites_an_operator_who_sets_a_password_and_sees_only_dialogs(
    api: httpx.AsyncClient, smtp: Inbox
) -> None:
    owner = await sign_up(api, OWNER)
    invite = await _invite(api, owner, "Ivan@Example.com")
    assert invite["email"] == "ivan@example.com" and invite["role"] == "operator"
    await delivered()
    [message] = smtp.to("ivan@example.com")
    assert "invited you to Shop" in message["Subject"]
    html = message.get_body(preferencelist=("html",)).get_content()
    assert "/accept-invite?token=" in html
    token = smtp.last_link("ivan@example.com", "/accept-invite")

    preview = await api.get("/api/v1/invites/preview", params={"token": token})
    assert preview.json() == {
        "email": "ivan@example.com",
        "role": "operator",
        "workspace": "Shop",
        "inviter": OWNER,
        "has_account": False,
    }
    weak = await api.post("/api/v1/invites/accept", json={"token": token, "password": "123"})
    assert weak.status_code == 422 and "password" in weak.json()["fields"]
    accepted = await api.post(
        "/api/v1/invites/accept", json={"token": token, "password": PASSWORD, "full_name": "Ivan"}
    )
    assert accepted.status_code == 200, accepted.text
    again = await api.post("/api/v1/invites/accept", json={"token": token, "password": PASSWORD})
    assert again.status_code == 400 and again.json()["error"] == "link_invalid"  # single use

    operator = await log_in(api, "ivan@example.com", PASSWORD)
    me = (await api.get("/api/v1/auth/me", headers=operator)).json()
    assert me["role"] == "operator" and me["tenant_name"] == "Shop"
    assert (await api.get("/api/v1/dialogs", headers=operator)).status_code == 200
    for refused in ("/api/v1/team", "/api/v1/assistants", "/api/v1/billing", "/api/v1/knowledge-gaps"):
        assert (await api.get(refused, headers=operator)).status_code == 403, refused

    team = (await api.get("/api/v1/team", headers=owner)).json()
    assert [(m["email"], m["role"]) for m in team["members"]] == [(OWNER, "owner"), ("ivan@example.com", "operator")]
    assert team["invites"] == []
    async with session_scope() as session:
        actions = set((await session.exec(select(AuditLog.action))).all())
    assert {"team.invited", "team.invite_accepted"} <= actions


async def test_links_are_signed_expiring_and_a_resend_voids_the_old_one(api: httpx.AsyncClient, smtp: Inbox) -> None:
    owner = await sign_up(api, OWNER)
    invite = await _invite(api, owner, "olga@example.com", lang="ru")
    await delivered()
    assert "приглашает вас" in smtp.to("olga@example.com")[0]["Subject"]
    first = smtp.last_link("olga@example.com", "/accept-invite")
    forged = first[:-3] + ("AAA" if not first.endswith("AAA") else "BBB")
    assert (await api.get("/api/v1/invites/preview", params={"token": forged})).status_code == 400

    resent = await api.post(f"/api/v1/team/invites/{invite['id']}/resend", json={}, headers=owner)
    assert resent.status_code == 200 and resent.json()["sent_count"] == 2
    await delivered()
    second = smtp.last_link("olga@example.com", "/accept-invite")
    assert second != first
    assert (await api.get("/api/v1/invites/preview", params={"token": first})).status_code == 400
    assert (await api.get("/api/v1/invites/preview", params={"token": second})).status_code == 200

    duplicate = await api.post("/api/v1/team/invites", json={"email": "olga@example.com"}, headers=owner)
    assert duplicate.status_code == 409
    assert (await api.delete(f"/api/v1/team/invites/{invite['id']}", headers=owner)).status_code == 204
    assert (await api.get("/api/v1/invites/preview", params={"token": second})).status_code == 400
    assert (await api.get("/api/v1/team", headers=owner)).json()["invites"] == []


async def test_an_existing_account_joins_with_its_password(api: httpx.AsyncClient, smtp: Inbox) -> None:
    owner = await sign_up(api, OWNER)
    await sign_up(api, "petr@example.com", workspace="Petr's own")
    await _invite(api, owner, "petr@example.com", role="admin")
    await delivered()
    token = smtp.last_link("petr@example.com", "/accept-invite")
    assert (await api.get("/api/v1/invites/preview", params={"token": token})).json()["has_account"] is True
    wrong = await api.post("/api/v1/invites/accept", json={"token": token, "password": "not the password"})
    assert wrong.status_code == 401
    joined = await api.post("/api/v1/invites/accept", json={"token": token, "password": "correct horse battery 1"})
    assert joined.status_code == 200
    me = (await api.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {joined.json()['access_token']}"})).json()
    assert me["tenant_name"] == "Shop" and me["role"] == "admin"


async def test_roles_change_and_removal_ends_sessions_at_once(api: httpx.AsyncClient, smtp: Inbox) -> None:
    owner = await sign_up(api, OWNER)
    members = {}
    for name, role in (("anna", "admin"), ("boris", "operator"), ("vera", "operator")):
        await _invite(api, owner, f"{name}@example.com", role=role)
        await delivered()
        token = smtp.last_link(f"{name}@example.com", "/accept-invite")
        accepted = await api.post("/api/v1/invites/accept", json={"token": token, "password": PASSWORD})
        members[name] = {"Authorization": f"Bearer {accepted.json()['access_token']}"}
    ids = {
        m["email"].split("@")[0]: m["user_id"] for m in (await api.get("/api/v1/team", headers=owner)).json()["members"]
    }

    # a workspace admin manages operators only, and never the owner or another admin
    admin = members["anna"]
    assert (
        await api.patch(f"/api/v1/team/members/{ids['boris']}", json={"role": "admin"}, headers=admin)
    ).status_code == 403
    assert (await api.delete(f"/api/v1/team/members/{ids['owner']}", headers=admin)).status_code == 403
    assert (
        await api.post("/api/v1/team/invites", json={"email": "x@example.com", "role": "admin"}, headers=admin)
    ).status_code == 403
    assert (
        await api.patch(f"/api/v1/team/members/{ids['anna']}", json={"role": "operator"}, headers=admin)
    ).status_code == 403
    assert (
        await api.patch(f"/api/v1/team/members/{ids['owner']}", json={"role": "operator"}, headers=owner)
    ).status_code == 403

    # the owner promotes boris: his next request already has the new role
    assert (
        await api.patch(f"/api/v1/team/members/{ids['boris']}", json={"role": "admin"}, headers=owner)
    ).status_code == 204
    assert (await api.get("/api/v1/team", headers=members["boris"])).status_code == 200
    bad = await api.patch(f"/api/v1/team/members/{ids['boris']}", json={"role": "owner"}, headers=owner)
    assert bad.status_code == 422

    # the admin removes vera (an operator): her token stops working at once
    assert (await api.get("/api/v1/dialogs", headers=members["vera"])).status_code == 200
    removed = await api.delete(f"/api/v1/team/members/{ids['vera']}", headers=admin)
    assert removed.status_code == 200 and removed.json()["sessions_ended"] == 1
    assert (await api.get("/api/v1/dialogs", headers=members["vera"])).status_code == 401
    login = await api.post("/api/v1/auth/login", json={"email": "vera@example.com", "password": PASSWORD})
    assert login.status_code == 403  # the account stays, with no workspace


async def test_unverified_owners_cannot_invite_until_they_confirm(api: httpx.AsyncClient, smtp: Inbox) -> None:
    owner = await sign_up(api, OWNER, verified=False)
    refused = await api.post("/api/v1/team/invites", json={"email": "ivan@example.com"}, headers=owner)
    assert refused.status_code == 403 and "Confirm your e-mail" in refused.json()["message"]
    await delivered()
    [welcome] = smtp.to(OWNER)
    assert welcome["Subject"] == "Confirm your e-mail for ChatAI"
    token = smtp.last_link(OWNER, "/verify-email")
    assert (await api.post("/api/v1/auth/verify-email", json={"token": token})).status_code == 204
    assert (await api.post("/api/v1/auth/verify-email", json={"token": token})).status_code == 400
    assert (
        await api.post("/api/v1/team/invites", json={"email": "ivan@example.com"}, headers=owner)
    ).status_code == 201
    resend = await api.post("/api/v1/auth/me/verify-email/resend", json={}, headers=owner)
    assert resend.json() == {"sent": False}


async def test_without_smtp_the_mail_is_held_for_admins(api: httpx.AsyncClient) -> None:
    owner = await sign_up(api, OWNER)
    await _invite(api, owner, "ivan@example.com")
    async with session_scope() as session:
        rows = (await session.exec(select(EmailMessage).order_by(EmailMessage.id))).all()
    assert [(r.kind, r.status) for r in rows] == [("verify_email", "held"), ("invite", "held")]
    assert "/accept-invite?token=" in rows[1].body_text


@pytest.mark.usefixtures("stripe_api")
async def test_unverified_owners_cannot_top_up(api: httpx.AsyncClient) -> None:
    owner = await sign_up(api, OWNER, verified=False)
    refused = await api.post("/api/v1/billing/topups", json={"amount_minor": 100000}, headers=owner)
    assert refused.status_code == 403 and "Confirm your e-mail" in refused.json()["message"]
