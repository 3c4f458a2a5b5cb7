"""Operators assigned to assistants (issue 14) on an inbox page that stays open: its live task re-reads the
operator from the web session, so an owner narrowing the assistants reaches the live updates (not only the
next click), and a removed operator's live task ends. And the widget's "operators online" counts only those
who see the assistant's dialogs."""

from __future__ import annotations

import uuid

import pytest

from chatai_app.db import session_scope
from chatai_app.models import DialogMessage
from chatai_app.services import accounts, assistants, auth_sessions, presence, team, widget
from chatai_app.services.conversation import OFFLINE_NOTICE, request_human
from chatai_app.services.errors import DomainError
from chatai_app.services.permissions import Permission
from chatai_app.state.inbox import _snapshot
from chatai_app.state.live import LiveContext
from tests.knowledge.conftest import Workspace
from tests.team.conftest import waiting_dialog


async def _operator_page(ws: Workspace, fresh_s: float) -> tuple[LiveContext, uuid.UUID]:
    """A signed-in operator's live context as the inbox's live task holds it, and their id."""
    async with session_scope() as session:
        olga = await accounts.add_operator(session=session, tenant_id=ws.tenant_id, email="olga@example.com",
                                           password="operator pass 1", full_name="Olga")  # fmt: skip
        context = await accounts.load_context(session=session, user_id=olga, tenant_id=ws.tenant_id)
        opened = await auth_sessions.open_session(session=session, context=context, kind="web", ttl_s=600)
    return LiveContext(opened.token, Permission.dialogs, context, fresh_s=fresh_s), olga


async def test_an_open_inbox_follows_a_new_assignment_and_a_removal(shop: Workspace) -> None:
    async with session_scope() as session:
        owner = await accounts.authenticate(session=session, email="shop@example.com", password="password 123")
        sales = (await assistants.create_assistant(session=session, tenant_id=shop.tenant_id, name="Sales")).id
    support_dialog = await waiting_dialog(shop, shop.assistant_id, "v-support")
    sales_dialog = await waiting_dialog(shop, sales, "v-sales")
    live, olga = await _operator_page(shop, fresh_s=0)
    before = await _snapshot(await live.current(), "queue", "", shared_after=1)
    assert {i["id"] for i in before.items} == {str(support_dialog), str(sales_dialog)}  # all by default

    async with session_scope() as session:
        await team.set_assistants(session=session, actor=owner, user_id=olga, assistant_ids=[sales])
    await live.current()  # stale: re-read beside this reload, taken by the next one
    after = await _snapshot(await live.settled(), "queue", str(support_dialog), shared_after=2)
    assert [i["id"] for i in after.items] == [str(sales_dialog)] and after.counts["queue"] == 1
    assert after.header == {} and after.messages == []

    async with session_scope() as session:
        await team.remove(session=session, actor=owner, user_id=olga)
    with pytest.raises(DomainError):  # signed out by the removal: the live task ends
        await live.current()
        await live.settled()


async def test_the_live_context_is_kept_while_fresh(shop: Workspace) -> None:
    async with session_scope() as session:
        owner = await accounts.authenticate(session=session, email="shop@example.com", password="password 123")
        sales = (await assistants.create_assistant(session=session, tenant_id=shop.tenant_id, name="Sales")).id
    live, olga = await _operator_page(shop, fresh_s=3600)
    async with session_scope() as session:
        await team.set_assistants(session=session, actor=owner, user_id=olga, assistant_ids=[sales])
    assert (await live.current()).assistants is None  # read once per `fresh_s`, not on every event


async def test_operators_online_count_only_those_who_see_the_assistant(shop: Workspace) -> None:
    async with session_scope() as session:
        owner = await accounts.authenticate(session=session, email="shop@example.com", password="password 123")
        sales = await assistants.create_assistant(session=session, tenant_id=shop.tenant_id, name="Sales")
    _, olga = await _operator_page(shop, fresh_s=0)
    async with session_scope() as session:
        await presence.heartbeat(session=session, tenant_id=shop.tenant_id, user_id=olga, status="online")
        await team.set_assistants(session=session, actor=owner, user_id=olga, assistant_ids=[sales.id])
    async with session_scope() as session:
        online = {
            name: await presence.operators_online(session=session, tenant_id=shop.tenant_id, assistant_id=a_id)
            for name, a_id in (("any", None), ("support", shop.assistant_id), ("sales", sales.id))
        }
        assert online == {"any": 1, "support": 0, "sales": 1}
        for assistant_id, shown in ((sales.id, True), (shop.assistant_id, False)):  # the widget's config
            model = await widget.load_assistant(session=session, assistant_id=assistant_id)
            assert (await widget.public_config(session=session, assistant=model))["operators_online"] is shown
        await presence.heartbeat(session=session, tenant_id=shop.tenant_id, user_id=owner.user_id, status="online")
    async with session_scope() as session:  # owners (and admins) see every assistant
        assert (
            await presence.operators_online(session=session, tenant_id=shop.tenant_id, assistant_id=shop.assistant_id)
            == 1
        )


async def test_the_handoff_notice_counts_only_operators_who_see_the_assistant(shop: Workspace) -> None:
    async with session_scope() as session:
        owner = await accounts.authenticate(session=session, email="shop@example.com", password="password 123")
        sales = (await assistants.create_assistant(session=session, tenant_id=shop.tenant_id, name="Sales")).id
    _, olga = await _operator_page(shop, fresh_s=0)
    async with session_scope() as session:
        await presence.heartbeat(session=session, tenant_id=shop.tenant_id, user_id=olga, status="online")
        await team.set_assistants(session=session, actor=owner, user_id=olga, assistant_ids=[sales])
    notices = {}
    for name, assistant_id in (("support", shop.assistant_id), ("sales", sales)):
        _, notice_id = await request_human(tenant_id=shop.tenant_id, assistant_id=assistant_id, channel="widget",
                                           external_chat_id=f"v-{name}", language="en")  # fmt: skip
        async with session_scope() as session:
            notices[name] = (await session.get(DialogMessage, notice_id)).content  # type: ignore[union-attr]
    assert OFFLINE_NOTICE["en"] in notices["support"]  # Olga is online but never sees Support's dialogs
    assert OFFLINE_NOTICE["en"] not in notices["sales"]
