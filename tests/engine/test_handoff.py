"""Handoff rules, the operators' inbox and presence: real PostgreSQL, the real engine."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlmodel import select

from chatai_app.db import session_scope
from chatai_app.models import Dialog, DialogMessage, HandoffAudit, OperatorPresence, User
from chatai_app.models._base import utcnow
from chatai_app.services import accounts, assistants, inbox, presence
from chatai_app.services.conversation import Incoming, handle_incoming
from chatai_app.services.errors import Conflict, NotFound, ValidationFailed
from tests.engine.test_conversation import _with_knowledge
from tests.fakes.openai_server import FakeOpenAIServer
from tests.knowledge.conftest import Workspace


def _say(ws: Workspace, chat: str, text: str, channel: str = "widget") -> Incoming:
    return Incoming(ws.tenant_id, ws.assistant_id, channel, chat, text)


async def _configure(ws: Workspace, **changes: object) -> None:
    async with session_scope() as session:
        await assistants.update_assistant(
            session=session, tenant_id=ws.tenant_id, assistant_id=ws.assistant_id, changes=changes
        )


async def _audit(dialog_id: uuid.UUID) -> list[tuple[str, str]]:
    async with session_scope() as session:
        rows = await session.exec(
            select(HandoffAudit.action, HandoffAudit.reason)
            .where(HandoffAudit.dialog_id == dialog_id)
            .order_by(HandoffAudit.id)
        )
        return [tuple(r) for r in rows.all()]


async def _owner(ws: Workspace) -> uuid.UUID:
    async with session_scope() as session:
        return (await session.exec(select(User.id).where(User.email == "shop@example.com"))).one()


async def _operator(ws: Workspace, email: str) -> uuid.UUID:
    async with session_scope() as session:
        return await accounts.add_operator(
            session=session, tenant_id=ws.tenant_id, email=email, password="operator pass 1", full_name=email[:4]
        )


async def test_model_that_cannot_help_twice_calls_a_human(shop: Workspace, fake_llm: FakeOpenAIServer) -> None:
    await _configure(shop, provider="openai", model="fake-gpt")
    first = await handle_incoming(_say(shop, "v1", "Do you sell bicycles?"))
    assert first.outcome == "answered" and "I do not know" in first.reply_text
    second = await handle_incoming(_say(shop, "v1", "What about scooters for kids?"))
    assert second.outcome == "handoff"
    assert "I do not know" in second.reply_text and "operator" in second.reply_text
    assert await _audit(second.dialog_id) == [("requested", "cannot_help")]


async def test_offline_answerer_without_knowledge_falls_back_after_the_configured_misses(shop: Workspace) -> None:
    await _configure(shop, handoff_settings={"fallback_after": 3})
    outcomes = [(await handle_incoming(_say(shop, "v2", q))).outcome for q in ("Alpha?", "Bravo please?", "Charlie?")]
    assert outcomes == ["answered", "answered", "handoff"]
    async with session_scope() as session:
        dialog = (await session.exec(select(Dialog))).one()
    assert await _audit(dialog.id) == [("requested", "no_answer")]


async def test_repeated_question_calls_a_human_and_can_be_switched_off(shop: Workspace) -> None:
    await _with_knowledge(shop)
    await handle_incoming(_say(shop, "v3", "How much is courier delivery?"))
    again = await handle_incoming(_say(shop, "v3", "how much is courier delivery??"))
    assert again.outcome == "handoff"
    assert await _audit(again.dialog_id) == [("requested", "repeated_question")]

    await _configure(shop, handoff_settings={"repeat_detection": False})
    await handle_incoming(_say(shop, "v4", "How much is courier delivery?"))
    assert (await handle_incoming(_say(shop, "v4", "How much is courier delivery?"))).outcome == "answered"


async def test_queue_order_take_reply_note_release_close_all_audited(shop: Workspace, rival: Workspace) -> None:
    await _with_knowledge(shop)
    anna, boris = await _operator(shop, "anna@example.com"), await _operator(shop, "boris@example.com")
    first = await handle_incoming(_say(shop, "early", "I need an operator"))
    await _configure(shop, handoff_settings={"priority": 5})
    urgent = await handle_incoming(_say(shop, "vip", "человек, пожалуйста", channel="api"))
    assert "2" not in urgent.reply_text and "1-й" in urgent.reply_text  # first in the queue thanks to priority

    async with session_scope() as session:
        queue = await inbox.list_inbox(session=session, tenant_id=shop.tenant_id, operator_id=anna)
        assert [item.id for item in queue] == [urgent.dialog_id, first.dialog_id]
        assert (await inbox.counts(session=session, tenant_id=shop.tenant_id, operator_id=anna))["queue"] == 2
        assert await inbox.list_inbox(session=session, tenant_id=rival.tenant_id, operator_id=anna) == []

    with pytest.raises(NotFound):  # another workspace's operator cannot touch it
        await inbox.take_dialog(tenant_id=rival.tenant_id, operator_id=anna, dialog_id=first.dialog_id)
    await inbox.take_dialog(tenant_id=shop.tenant_id, operator_id=anna, dialog_id=first.dialog_id)
    with pytest.raises(Conflict):
        await inbox.take_dialog(tenant_id=shop.tenant_id, operator_id=boris, dialog_id=first.dialog_id)
    with pytest.raises(Conflict):
        await inbox.reply(tenant_id=shop.tenant_id, operator_id=boris, dialog_id=first.dialog_id, text="Mine!")
    with pytest.raises(ValidationFailed):
        await inbox.reply(tenant_id=shop.tenant_id, operator_id=anna, dialog_id=first.dialog_id, text="  ")

    await inbox.add_note(tenant_id=shop.tenant_id, operator_id=boris, dialog_id=first.dialog_id, text="VIP client")
    await inbox.reply(tenant_id=shop.tenant_id, operator_id=anna, dialog_id=first.dialog_id, text="Hello, Anna here")
    silent = await handle_incoming(_say(shop, "early", "Thanks Anna, how much is courier delivery?"))
    assert silent.outcome == "with_operator" and silent.reply_message_id is None

    await inbox.release_dialog(tenant_id=shop.tenant_id, operator_id=anna, dialog_id=first.dialog_id)
    after = await handle_incoming(_say(shop, "early", "And delivery to Kazan?"))
    assert after.outcome == "answered" and "three days" in after.reply_text
    await inbox.close_dialog(tenant_id=shop.tenant_id, operator_id=anna, dialog_id=first.dialog_id)

    assert await _audit(first.dialog_id) == [
        ("requested", "keyword"), ("taken", "operator"), ("released", "operator"), ("closed", "operator"),
    ]  # fmt: skip
    async with session_scope() as session:
        roles = (
            await session.exec(
                select(DialogMessage.role).where(DialogMessage.dialog_id == first.dialog_id).order_by(DialogMessage.id)
            )
        ).all()
        actors = (await session.exec(select(HandoffAudit.actor_user_id).where(HandoffAudit.action == "taken"))).all()
    assert roles == ["user", "system", "system", "note", "operator", "user", "system", "user", "assistant", "system"]
    assert actors == [anna]


async def _backdate(dialog_id: uuid.UUID) -> None:
    async with session_scope() as session:
        past = utcnow() - timedelta(seconds=61)
        await session.exec(sa.update(Dialog).where(Dialog.id == dialog_id).values(handoff_requested_at=past))


async def test_waiting_too_long_resumes_the_ai_or_offers_the_offline_form(shop: Workspace) -> None:
    await _configure(shop, handoff_settings={"wait_timeout_s": 60})
    resumed = await handle_incoming(_say(shop, "slow1", "operator please"))
    fresh = await handle_incoming(_say(shop, "slow3", "operator please"))
    await _backdate(resumed.dialog_id)
    assert await inbox.expire_waiting_dialogs() == 1
    await _configure(shop, handoff_settings={"wait_timeout_s": 60, "on_timeout": "offline_form"})
    form = await handle_incoming(_say(shop, "slow2", "operator please"))
    await _backdate(form.dialog_id)
    assert await inbox.expire_waiting_dialogs() == 1
    assert await inbox.expire_waiting_dialogs() == 0  # the form is offered once
    async with session_scope() as session:
        statuses = {d.id: (d.status, d.meta.get("offline_form")) for d in (await session.exec(select(Dialog))).all()}
    assert statuses[resumed.dialog_id][0] == "ai"
    assert statuses[form.dialog_id] == ("waiting", True)
    assert statuses[fresh.dialog_id][0] == "waiting"
    assert await _audit(resumed.dialog_id) == [("requested", "keyword"), ("timeout", "ai_resumed")]
    assert await _audit(form.dialog_id) == [("requested", "keyword"), ("timeout", "offline_form")]


async def test_presence_by_heartbeat(shop: Workspace, rival: Workspace) -> None:
    owner, anna = await _owner(shop), await _operator(shop, "anna@example.com")
    async with session_scope() as session:
        assert await presence.heartbeat(session=session, tenant_id=shop.tenant_id, user_id=anna, status="online")
        assert not await presence.heartbeat(session=session, tenant_id=shop.tenant_id, user_id=anna, status="online")
        await presence.heartbeat(session=session, tenant_id=shop.tenant_id, user_id=owner, status="away")
        with pytest.raises(ValidationFailed):
            await presence.heartbeat(session=session, tenant_id=shop.tenant_id, user_id=owner, status="asleep")
    async with session_scope() as session:
        people = await presence.colleagues(session=session, tenant_id=shop.tenant_id)
        assert [(p.name, p.status) for p in people] == [("anna", "online"), ("shop@example.com", "away")]
        assert await presence.operators_online(session=session, tenant_id=shop.tenant_id) == 1
        assert await presence.operators_online(session=session, tenant_id=rival.tenant_id) == 0
        stale = utcnow() - timedelta(seconds=presence.OFFLINE_AFTER_S + 1)
        await session.exec(sa.update(OperatorPresence).values(last_seen_at=stale))
    async with session_scope() as session:
        assert {p.status for p in await presence.colleagues(session=session, tenant_id=shop.tenant_id)} == {"offline"}
        assert await presence.operators_online(session=session, tenant_id=shop.tenant_id) == 0


async def test_bad_handoff_and_widget_settings_are_refused_with_reasons(shop: Workspace) -> None:
    with pytest.raises(ValidationFailed) as refused:
        await _configure(
            shop,
            handoff_settings={"wait_timeout_s": 1, "on_timeout": "panic"},
            widget_settings={"allowed_origins": ["https://shop.example/path", "ftp://x"]},
        )
    assert "wait_timeout_s" in refused.value.fields["handoff_settings"]
    assert "https://shop.example" in refused.value.fields["widget_settings"]
    await _configure(shop, widget_settings={"allowed_origins": ["https://*.shop.example"], "colour": "#112233"})


def test_origin_allow_list_rules() -> None:
    from chatai_app.services.widget import origin_allowed

    allowed = ["https://shop.example", "https://*.brand.example"]
    own = "http://localhost:3000"
    assert origin_allowed(allowed, "https://shop.example", own)
    assert origin_allowed(allowed, "https://eu.brand.example", own)
    assert origin_allowed(allowed, own, own)
    assert origin_allowed([], "https://anyone.example", own)
    assert not origin_allowed(allowed, "https://brand.example.evil.test", own)
    assert not origin_allowed(allowed, "http://shop.example", own)
    assert not origin_allowed(allowed, "https://evilshop.example", own)
