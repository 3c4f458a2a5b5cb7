"""The feedback service: one changeable vote per assistant answer, tenant- and dialog-scoped, summed."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from chatai_app.db import session_scope
from chatai_app.services import feedback
from chatai_app.services.errors import NotFound, ValidationFailed
from tests.feedback.conftest import stored_dialog
from tests.knowledge.conftest import Workspace


async def _vote(
    ws: Workspace, dialog_id: uuid.UUID, message_id: int, rating: str, **extra: Any
) -> feedback.FeedbackOut:
    async with session_scope() as session:
        return await feedback.record_feedback(
            session=session, tenant_id=ws.tenant_id, dialog_id=dialog_id, message_id=message_id, rating=rating,
            channel=extra.pop("channel", "widget"), voter="v1", **extra,
        )  # fmt: skip


async def test_a_vote_is_stored_changed_and_repeated_without_change(shop: Workspace) -> None:
    s = await stored_dialog(shop)
    first = await _vote(shop, s.dialog_id, s.answer_id, "up")
    again = await _vote(shop, s.dialog_id, s.answer_id, "up")
    assert first.changed and not again.changed
    changed = await _vote(shop, s.dialog_id, s.answer_id, "down", comment="wrong price")
    assert changed.changed and changed.rating == "down" and changed.comment == "wrong price"
    kept = await _vote(shop, s.dialog_id, s.answer_id, "up")  # no comment given: the stored one stays
    assert kept.comment == "wrong price"
    async with session_scope() as session:
        shown = await feedback.feedback_for_messages(
            session=session, tenant_id=shop.tenant_id, message_ids=[s.question_id, s.answer_id]
        )
    assert shown == {s.answer_id: "up"}  # one row per answer, as it stands now


async def test_only_answers_of_that_conversation_and_tenant_can_be_rated(shop: Workspace, rival: Workspace) -> None:
    mine = await stored_dialog(shop)
    other = await stored_dialog(shop, chat="chat-2")
    theirs = await stored_dialog(rival)
    with pytest.raises(ValidationFailed):  # the user's own message is not an answer
        await _vote(shop, mine.dialog_id, mine.question_id, "up")
    with pytest.raises(NotFound):  # another conversation's answer
        await _vote(shop, mine.dialog_id, other.answer_id, "up")
    with pytest.raises(NotFound):  # another workspace's answer, even with its dialog id
        await _vote(shop, theirs.dialog_id, theirs.answer_id, "up")
    with pytest.raises(NotFound):
        await _vote(shop, mine.dialog_id, 10**12, "up")
    with pytest.raises(ValidationFailed):
        await _vote(shop, mine.dialog_id, mine.answer_id, "sideways")
    with pytest.raises(ValidationFailed):
        await _vote(shop, mine.dialog_id, mine.answer_id, "down", comment="x" * 1001)
    async with session_scope() as session:
        assert (
            await feedback.feedback_for_messages(
                session=session, tenant_id=rival.tenant_id, message_ids=[theirs.answer_id]
            )
            == {}
        )


async def test_summary_counts_votes_in_the_period_by_channel_and_assistant(shop: Workspace, rival: Workspace) -> None:
    votes = [("widget", "up"), ("widget", "up"), ("widget", "down"), ("telegram", "up")]
    for n, (channel, rating) in enumerate(votes):
        s = await stored_dialog(shop, chat=f"c{n}", channel=channel)
        await _vote(shop, s.dialog_id, s.answer_id, rating, channel=channel)
    theirs = await stored_dialog(rival)
    await _vote(rival, theirs.dialog_id, theirs.answer_id, "down")
    now = datetime.now(UTC)
    async with session_scope() as session:
        summary = await feedback.feedback_summary(
            session=session, tenant_id=shop.tenant_id, since=now - timedelta(days=1), until=now + timedelta(minutes=1)
        )
        other_assistant = await feedback.feedback_summary(
            session=session, tenant_id=shop.tenant_id, since=now - timedelta(days=1),
            until=now + timedelta(minutes=1), assistant_id=rival.assistant_id,
        )  # fmt: skip
        before = await feedback.feedback_summary(
            session=session, tenant_id=shop.tenant_id, since=now - timedelta(days=2), until=now - timedelta(days=1)
        )
    assert (summary.up, summary.down, summary.total) == (3, 1, 4)
    assert summary.up_share == pytest.approx(0.75)
    assert summary.by_channel == {"widget": {"up": 2, "down": 1}, "telegram": {"up": 1, "down": 0}}
    assert other_assistant.total == 0 and before.total == 0 and before.up_share is None
