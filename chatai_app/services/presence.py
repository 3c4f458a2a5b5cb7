"""Operator presence: each open inbox page sends a heartbeat; no heartbeat for a while means offline."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from chatai_app.models import Membership, OperatorPresence, User
from chatai_app.models._base import utcnow
from chatai_app.services.errors import ValidationFailed

STATUSES = ("online", "away", "offline")
HEARTBEAT_S = 20
OFFLINE_AFTER_S = 60  # three missed heartbeats


@dataclass(frozen=True)
class Colleague:
    user_id: uuid.UUID
    name: str
    status: str  # online | away | offline
    last_seen_at: datetime | None


def effective_status(stored: str | None, last_seen_at: datetime | None, now: datetime | None = None) -> str:
    if stored is None or last_seen_at is None:
        return "offline"
    if (now or utcnow()) - last_seen_at > timedelta(seconds=OFFLINE_AFTER_S):
        return "offline"
    return stored


async def heartbeat(*, session: AsyncSession, tenant_id: uuid.UUID, user_id: uuid.UUID, status: str) -> bool:
    """Record that the operator is here; True when their visible status changed."""
    if status not in STATUSES:
        raise ValidationFailed({"status": "online, away or offline"})
    previous = await session.get(OperatorPresence, (tenant_id, user_id))
    before = effective_status(previous.status, previous.last_seen_at) if previous else "offline"
    stmt = insert(OperatorPresence).values(tenant_id=tenant_id, user_id=user_id, status=status, last_seen_at=utcnow())
    await session.exec(
        stmt.on_conflict_do_update(
            index_elements=["tenant_id", "user_id"], set_={"status": status, "last_seen_at": utcnow()}
        )
    )
    return before != status


async def colleagues(*, session: AsyncSession, tenant_id: uuid.UUID) -> list[Colleague]:
    """Every member of the workspace with their presence, online first."""
    stmt = (
        select(User.id, User.full_name, User.email, OperatorPresence.status, OperatorPresence.last_seen_at)
        .join(Membership, Membership.user_id == User.id)
        .outerjoin(
            OperatorPresence,
            sa.and_(OperatorPresence.user_id == User.id, OperatorPresence.tenant_id == tenant_id),
        )
        .where(Membership.tenant_id == tenant_id)
    )
    now = utcnow()
    people = [
        Colleague(uid, name or email, effective_status(status, seen, now), seen)
        for uid, name, email, status, seen in (await session.exec(stmt)).all()
    ]
    order = {s: i for i, s in enumerate(STATUSES)}
    return sorted(people, key=lambda c: (order[c.status], c.name.lower()))


async def operators_online(
    *, session: AsyncSession, tenant_id: uuid.UUID, assistant_id: uuid.UUID | None = None
) -> int:
    """Members online in the inbox; with `assistant_id`, only those who see its dialogs (an operator assigned to
    other assistants does not count, issue 14)."""
    since = utcnow() - timedelta(seconds=OFFLINE_AFTER_S)
    stmt = select(sa.func.count()).where(
        OperatorPresence.tenant_id == tenant_id,
        OperatorPresence.status == "online",
        OperatorPresence.last_seen_at >= since,
    )
    if assistant_id is not None:
        sees_it = sa.or_(
            Membership.role != "operator",
            Membership.assistant_ids.is_(None),  # type: ignore[union-attr]
            sa.literal(assistant_id, sa.Uuid()) == sa.any_(Membership.assistant_ids),
        )
        stmt = (
            stmt.select_from(OperatorPresence)
            .join(
                Membership, sa.and_(Membership.user_id == OperatorPresence.user_id, Membership.tenant_id == tenant_id)
            )
            .where(sees_it)
        )
    return int((await session.exec(stmt)).one())
