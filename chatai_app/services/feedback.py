"""Answer feedback: the end user's thumbs up or down on an assistant answer (widget, Telegram), one vote per
answer that a later vote changes; shown per answer in Dialogs and summed for analytics.

Every call is tenant-scoped, and a vote names the dialog it comes from: an answer of another conversation,
or a message that is not an assistant answer, is refused (adapters bind the dialog to the caller: the widget
visitor's token, the Telegram chat).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlmodel.ext.asyncio.session import AsyncSession

from chatai_app.models import AnswerFeedback, Dialog, DialogMessage
from chatai_app.models._base import utcnow
from chatai_app.services.errors import NotFound, ValidationFailed

RATINGS = {"up": 1, "down": -1}
NAMES = {value: name for name, value in RATINGS.items()}
MAX_COMMENT = 1000


@dataclass(frozen=True)
class FeedbackOut:
    message_id: int
    dialog_id: uuid.UUID
    rating: str  # up | down
    comment: str
    channel: str
    changed: bool  # False when the same vote was given again


@dataclass(frozen=True)
class FeedbackSummary:
    up: int
    down: int
    total: int
    up_share: float | None  # up / total, None when nobody voted
    by_channel: dict[str, dict[str, int]]  # channel -> {"up": n, "down": n}


def _check(rating: str, comment: str | None) -> int:
    errors = {}
    if rating not in RATINGS:
        errors["rating"] = "up or down"
    if comment is not None and len(comment) > MAX_COMMENT:
        errors["comment"] = f"at most {MAX_COMMENT} characters"
    elif comment is not None and "\x00" in comment:
        errors["comment"] = "may not contain NUL characters"
    if errors:
        raise ValidationFailed(errors)
    return RATINGS[rating]


async def _answer(session: AsyncSession, tenant_id: uuid.UUID, dialog_id: uuid.UUID, message_id: int) -> Dialog:
    """The dialog of an assistant answer that belongs to it (and to the tenant)."""
    message = await session.get(DialogMessage, message_id)
    if message is None or message.tenant_id != tenant_id or message.dialog_id != dialog_id:
        raise NotFound("Answer not found in this conversation")
    if message.role != "assistant":
        raise ValidationFailed({"message_id": "only the assistant's answers can be rated"})
    dialog = await session.get(Dialog, dialog_id)
    if dialog is None or dialog.tenant_id != tenant_id:
        raise NotFound("Answer not found in this conversation")
    return dialog


async def record_feedback(
    *,
    session: AsyncSession,
    tenant_id: uuid.UUID,
    dialog_id: uuid.UUID,
    message_id: int,
    rating: str,
    channel: str,
    voter: str = "",
    comment: str | None = None,
) -> FeedbackOut:
    """Store or change the vote on one answer (the caller commits); giving the same vote again changes nothing.
    `comment` None keeps the stored comment."""
    value = _check(rating, comment)
    dialog = await _answer(session, tenant_id, dialog_id, message_id)
    previous = (
        await session.exec(
            sa.select(AnswerFeedback.rating, AnswerFeedback.comment)
            .where(AnswerFeedback.message_id == message_id)
            .with_for_update()
        )
    ).first()
    if previous is not None and previous[0] == value and (comment is None or comment == previous[1]):
        return FeedbackOut(message_id, dialog_id, rating, previous[1], channel, changed=False)
    row = {"tenant_id": tenant_id, "assistant_id": dialog.assistant_id, "dialog_id": dialog_id,
           "message_id": message_id, "rating": value, "comment": comment or "", "channel": channel[:16],
           "voter": voter[:128], "updated_at": utcnow()}  # fmt: skip
    update = {"rating": value, "channel": row["channel"], "voter": row["voter"], "updated_at": row["updated_at"]}
    if comment is not None:
        update["comment"] = comment
    stmt = insert(AnswerFeedback).values(row).on_conflict_do_update(index_elements=["message_id"], set_=update)
    await session.exec(stmt)
    stored = comment if comment is not None else (previous[1] if previous else "")
    return FeedbackOut(message_id, dialog_id, rating, stored, channel, changed=True)


async def feedback_for_messages(
    *, session: AsyncSession, tenant_id: uuid.UUID, message_ids: Iterable[int]
) -> dict[int, str]:
    """message id -> "up" | "down" for the rated ones among `message_ids` (Dialogs, the widget's transcript)."""
    ids = sorted({int(i) for i in message_ids})
    if not ids:
        return {}
    rows = await session.exec(
        sa.select(AnswerFeedback.message_id, AnswerFeedback.rating).where(
            AnswerFeedback.tenant_id == tenant_id, AnswerFeedback.message_id.in_(ids)
        )
    )
    return {message_id: NAMES[rating] for message_id, rating in rows.all()}


async def feedback_summary(
    *,
    session: AsyncSession,
    tenant_id: uuid.UUID,
    since: datetime,
    until: datetime,
    assistant_id: uuid.UUID | None = None,
) -> FeedbackSummary:
    """Votes first given in [since, until) (a changed vote counts as it stands now), with the share of 👍."""
    stmt = (
        sa.select(AnswerFeedback.channel, AnswerFeedback.rating, sa.func.count())
        .where(AnswerFeedback.tenant_id == tenant_id, AnswerFeedback.created_at >= since,
               AnswerFeedback.created_at < until)
        .group_by(AnswerFeedback.channel, AnswerFeedback.rating)
    )  # fmt: skip
    if assistant_id is not None:
        stmt = stmt.where(AnswerFeedback.assistant_id == assistant_id)
    by_channel: dict[str, dict[str, int]] = {}
    for channel, rating, count in (await session.exec(stmt)).all():
        by_channel.setdefault(channel, {"up": 0, "down": 0})[NAMES[rating]] += int(count)
    up = sum(c["up"] for c in by_channel.values())
    down = sum(c["down"] for c in by_channel.values())
    total = up + down
    return FeedbackSummary(up, down, total, (up / total) if total else None, by_channel)
