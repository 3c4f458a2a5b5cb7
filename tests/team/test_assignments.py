"""Operators assigned to assistants (issue 14): an operator restricted to some assistants sees, takes and
answers only their dialogs — inbox lists and counters, the open dialog, actions, Dialogs and the HTTP API — and
the live inbox's shared reads never hand one operator's list to another. All by default."""

from __future__ import annotations

import asyncio
import uuid

import httpx
import pytest
from sqlmodel import select

from chatai_app.db import session_scope
from chatai_app.models import AuditLog
from chatai_app.services import accounts, assistants, dialogs, inbox, team
from chatai_app.services.accounts import AuthContext
from chatai_app.services.errors import NotFound, PermissionDenied, ValidationFailed
from chatai_app.state.inbox import _snapshot
from tests.knowledge.conftest import Workspace
from tests.team.conftest import log_in, sign_up, waiting_dialog


async def _context(tenant_id: uuid.UUID, user_id: uuid.UUID) -> AuthContext:
    async with session_scope() as session:
        return await accounts.load_context(session=session, user_id=user_id, tenant_id=tenant_id)


async def _setup(shop: Workspace) -> tuple[AuthContext, uuid.UUID, uuid.UUID, uuid.UUID]:
    """The owner's context, a second assistant and two operators (Olga, Pavel)."""
    async with session_scope() as session:
        owner = await accounts.authenticate(session=session, email="shop@example.com", password="password 123")
        sales = await assistants.create_assistant(session=session, tenant_id=shop.tenant_id, name="Sales")
        olga = await accounts.add_operator(session=session, tenant_id=shop.tenant_id, email="olga@example.com",
                                           password="operator pass 1", full_name="Olga")  # fmt: skip
        pavel = await accounts.add_operator(session=session, tenant_id=shop.tenant_id, email="pavel@example.com",
                                            password="operator pass 1", full_name="Pavel")  # fmt: skip
    return owner, sales.id, olga, pavel


async def test_a_restricted_operator_works_only_on_their_assistants_dialogs(shop: Workspace) -> None:
    owner, sales, olga, pavel = await _setup(shop)
    support_dialog = await waiting_dialog(shop, shop.assistant_id, "v-support")
    sales_dialog = await waiting_dialog(shop, sales, "v-sales")
    async with session_scope() as session:
        await team.set_assistants(session=session, actor=owner, user_id=olga, assistant_ids=[sales])
    restricted, everyone = await _context(shop.tenant_id, olga), await _context(shop.tenant_id, pavel)
    assert restricted.assistants == frozenset({sales}) and everyone.assistants is None

    scope = {"tenant_id": shop.tenant_id, "assistants": restricted.assistants}
    async with session_scope() as session:
        queue = await inbox.list_inbox(session=session, operator_id=olga, view="queue", **scope)
        assert [i.id for i in queue] == [sales_dialog]
        assert (await inbox.counts(session=session, operator_id=olga, **scope))["queue"] == 1
        assert [d.id for d in await dialogs.list_dialogs(session=session, **scope)] == [sales_dialog]
        for read in (inbox.dialog_header, dialogs.transcript, inbox.earlier_dialogs):
            with pytest.raises(NotFound):
                await read(session=session, dialog_id=support_dialog, **scope)
        assert (await inbox.dialog_header(session=session, dialog_id=sales_dialog, **scope)).id == sales_dialog
        # colleagues without a restriction, and the owner, still see both
        assert len(await inbox.list_inbox(session=session, tenant_id=shop.tenant_id, operator_id=pavel)) == 2
        assert (await inbox.counts(session=session, tenant_id=shop.tenant_id, operator_id=owner.user_id))["queue"] == 2

    for act in (inbox.take_dialog, inbox.release_dialog, inbox.close_dialog):
        with pytest.raises(NotFound):
            await act(operator_id=olga, dialog_id=support_dialog, **scope)
    with pytest.raises(NotFound):
        await inbox.reply(operator_id=olga, dialog_id=support_dialog, text="hello", **scope)
    with pytest.raises(NotFound):
        await inbox.add_note(operator_id=olga, dialog_id=support_dialog, text="note", **scope)
    await inbox.reply(operator_id=olga, dialog_id=sales_dialog, text="Hello from sales", **scope)  # takes it
    async with session_scope() as session:
        mine = await inbox.list_inbox(session=session, operator_id=olga, view="mine", **scope)
    assert [i.id for i in mine] == [sales_dialog]


async def test_the_live_inbox_never_shares_one_operators_list_with_another(shop: Workspace) -> None:
    owner, sales, olga, pavel = await _setup(shop)
    support_dialog = await waiting_dialog(shop, shop.assistant_id, "v-support")
    sales_dialog = await waiting_dialog(shop, sales, "v-sales")
    async with session_scope() as session:
        await team.set_assistants(session=session, actor=owner, user_id=olga, assistant_ids=[sales])
    restricted, everyone = await _context(shop.tenant_id, olga), await _context(shop.tenant_id, pavel)
    # both pages woken by the same event at once: the shared reads are keyed by the operator's assistants
    for selected in ("", str(support_dialog)):
        theirs, mine = await asyncio.gather(
            _snapshot(everyone, "queue", selected, shared_after=1),
            _snapshot(restricted, "queue", selected, shared_after=1),
        )
        assert {i["id"] for i in theirs.items} == {str(support_dialog), str(sales_dialog)}
        assert theirs.counts["queue"] == 2
        assert [i["id"] for i in mine.items] == [str(sales_dialog)] and mine.counts["queue"] == 1
    assert theirs.header["id"] == str(support_dialog) and theirs.messages
    assert mine.header == {} and mine.messages == []  # another assistant's dialog: not shown, not an error


async def test_assignments_are_checked_audited_and_all_by_default(shop: Workspace, rival: Workspace) -> None:
    owner, sales, olga, _ = await _setup(shop)
    async with session_scope() as session:
        admin_id = await accounts.add_operator(session=session, tenant_id=shop.tenant_id, email="adm@example.com",
                                               password="operator pass 1", full_name="Adm")  # fmt: skip
        await team.change_role(session=session, actor=owner, user_id=admin_id, role="admin")
    async with session_scope() as session:
        with pytest.raises(ValidationFailed):  # another workspace's assistant
            await team.set_assistants(session=session, actor=owner, user_id=olga, assistant_ids=[rival.assistant_id])
        with pytest.raises(ValidationFailed):  # nothing chosen: use "all" instead
            await team.set_assistants(session=session, actor=owner, user_id=olga, assistant_ids=[])
        with pytest.raises(ValidationFailed):  # admins always see every assistant
            await team.set_assistants(session=session, actor=owner, user_id=admin_id, assistant_ids=[sales])
        with pytest.raises(PermissionDenied):  # nobody restricts themselves (or the owner)
            await team.set_assistants(session=session, actor=owner, user_id=owner.user_id, assistant_ids=[sales])
    async with session_scope() as session:
        members = {m.email: m for m in (await team.team(session=session, tenant_id=shop.tenant_id)).members}
        assert members["olga@example.com"].assistant_ids is None  # the default: all
        await team.set_assistants(session=session, actor=owner, user_id=olga, assistant_ids=[sales, sales])
    async with session_scope() as session:
        members = {m.email: m for m in (await team.team(session=session, tenant_id=shop.tenant_id)).members}
        assert members["olga@example.com"].assistant_ids == [str(sales)]
        await team.set_assistants(session=session, actor=owner, user_id=olga, assistant_ids=None)
        audit = (await session.exec(select(AuditLog).where(AuditLog.action == "team.assistants_changed"))).all()
    assert [(a.meta["before"], a.meta["after"]) for a in audit] == [("all", [str(sales)]), ([str(sales)], "all")]
    assert (await _context(shop.tenant_id, olga)).assistants is None
    # a promotion to admin drops the restriction (admins see all); a later demotion starts from "all"
    async with session_scope() as session:
        await team.set_assistants(session=session, actor=owner, user_id=olga, assistant_ids=[sales])
        await team.change_role(session=session, actor=owner, user_id=olga, role="admin")
        await team.change_role(session=session, actor=owner, user_id=olga, role="operator")
    assert (await _context(shop.tenant_id, olga)).assistants is None


async def test_over_the_api_an_operator_sees_only_their_assistants(api: httpx.AsyncClient, clean_db: str) -> None:
    owner = await sign_up(api, "boss@example.com")
    made = [
        (await api.post("/api/v1/assistants", json={"name": name}, headers=owner)).json()["id"] for name in ("A", "B")
    ]
    me = (await api.get("/api/v1/auth/me", headers=owner)).json()
    tenant_id = uuid.UUID(me["tenant_id"])
    async with session_scope() as session:
        operator_id = await accounts.add_operator(session=session, tenant_id=tenant_id, email="op@example.com",
                                                  password="operator pass 1", full_name="Op")  # fmt: skip
    ws = Workspace(tenant_id, uuid.UUID(made[0]))
    dialog_a = await waiting_dialog(ws, uuid.UUID(made[0]), "va")
    dialog_b = await waiting_dialog(ws, uuid.UUID(made[1]), "vb")
    path = f"/api/v1/team/members/{operator_id}/assistants"
    assert (await api.put(path, json={"assistant_ids": [made[1]]}, headers=owner)).status_code == 204
    refused = await api.put(path, json={"assistant_ids": [str(uuid.uuid4())]}, headers=owner)
    assert refused.status_code == 422 and "assistants" in refused.json()["fields"]
    operator = await log_in(api, "op@example.com", "operator pass 1")
    assert (await api.put(path, json={"assistant_ids": None}, headers=operator)).status_code == 403
    listed = (await api.get("/api/v1/dialogs", headers=operator)).json()
    assert [d["id"] for d in listed] == [str(dialog_b)]
    assert (await api.get(f"/api/v1/dialogs/{dialog_a}/messages", headers=operator)).status_code == 404
    assert (await api.get(f"/api/v1/dialogs/{dialog_a}/handoff-audit", headers=operator)).status_code == 404
    reply = await api.post(f"/api/v1/dialogs/{dialog_a}/reply", json={"text": "hi"}, headers=operator)
    assert reply.status_code == 404
    assert (
        await api.post(f"/api/v1/dialogs/{dialog_b}/reply", json={"text": "hi"}, headers=operator)
    ).status_code == 201
    assert len((await api.get("/api/v1/dialogs", headers=owner)).json()) == 2
    team_view = (await api.get("/api/v1/team", headers=owner)).json()
    assert [m["assistant_ids"] for m in team_view["members"]] == [None, [made[1]]]
    assert sorted(name for _, name in team_view["assistants"]) == ["A", "B"]
