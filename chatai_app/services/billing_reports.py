"""Read side of the ledger: transaction history with filters, CSV export, spend by day, notices."""

from __future__ import annotations

import csv
import io
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

import sqlalchemy as sa
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from chatai_app.models import AuditLog, BalanceTransaction
from chatai_app.models._base import utcnow

KINDS = ("charge", "refund", "topup", "welcome_bonus", "promo", "adjustment")


@dataclass(frozen=True)
class TransactionOut:
    id: int
    created_at: datetime
    type: str
    amount_minor: int
    balance_after_minor: int
    currency: str
    reference: str


@dataclass(frozen=True)
class Notice:
    created_at: datetime
    action: str
    meta: dict[str, object]


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


async def transactions(
    *,
    session: AsyncSession,
    tenant_id: uuid.UUID,
    kind: str | None = None,
    since: date | None = None,
    until: date | None = None,
    limit: int = 500,
) -> list[TransactionOut]:
    """Newest first; `until` is inclusive (the whole day)."""
    stmt = select(BalanceTransaction).where(BalanceTransaction.tenant_id == tenant_id)
    if kind:
        stmt = stmt.where(BalanceTransaction.type == kind)
    if since:
        stmt = stmt.where(BalanceTransaction.created_at >= datetime.combine(since, datetime.min.time()))
    if until:
        stmt = stmt.where(
            BalanceTransaction.created_at < datetime.combine(until + timedelta(days=1), datetime.min.time())
        )
    stmt = stmt.order_by(BalanceTransaction.id.desc()).limit(limit)
    return [
        TransactionOut(t.id or 0, t.created_at, t.type, t.amount_minor, t.balance_after_minor, t.currency, t.reference)
        for t in (await session.exec(stmt)).all()
    ]


def to_csv(rows: list[TransactionOut]) -> str:
    """Amounts in major units with two decimals, as accountants expect."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["id", "date", "type", "amount", "balance_after", "currency", "reference"])
    for r in rows:
        writer.writerow([r.id, r.created_at.isoformat(timespec="seconds"), r.type, f"{r.amount_minor / 100:.2f}",
                         f"{r.balance_after_minor / 100:.2f}", r.currency, r.reference])  # fmt: skip
    return buffer.getvalue()


async def spend_by_day(*, session: AsyncSession, tenant_id: uuid.UUID, days: int = 30) -> list[tuple[date, int]]:
    """Money spent (charges, positive numbers) per day for the last `days` days, zero days included."""
    start = (utcnow() - timedelta(days=days - 1)).date()
    day = sa.func.date(BalanceTransaction.created_at)
    stmt = (
        select(day, sa.func.sum(-BalanceTransaction.amount_minor))
        .where(BalanceTransaction.tenant_id == tenant_id, BalanceTransaction.type == "charge",
               BalanceTransaction.created_at >= _midnight(start))
        .group_by(day)
    )  # fmt: skip
    spent = {d: int(total) for d, total in (await session.exec(stmt)).all()}
    return [(start + timedelta(days=i), spent.get(start + timedelta(days=i), 0)) for i in range(days)]


async def notices(*, session: AsyncSession, tenant_id: uuid.UUID, limit: int = 20) -> list[Notice]:
    stmt = (
        select(AuditLog)
        .where(AuditLog.tenant_id == tenant_id, AuditLog.action.startswith("billing."))
        .order_by(AuditLog.id.desc())
        .limit(limit)
    )
    return [Notice(a.created_at, a.action, a.meta) for a in (await session.exec(stmt)).all()]
