"""The prepaid ledger: every balance change is an immutable row; balances never go negative.

Charges are atomic conditional updates (`balance >= amount`), so concurrent charges cannot
overdraw; the idempotency key (unique per tenant) makes a repeated charge a no-op.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB, insert
from sqlmodel.ext.asyncio.session import AsyncSession

from chatai_app.models import AuditLog, BalanceTransaction, Plan, SystemSetting, Tenant
from chatai_app.services import plans
from chatai_app.services.errors import DomainError, NotFound, ValidationFailed
from chatai_app.services.settings_store import DEFAULTS, get_setting

__all__ = [
    "Account", "InsufficientFunds", "LedgerEntry", "account", "authorize_reply", "balance", "charge", "credit",
    "get_setting",
]  # fmt: skip

CHANNEL_PRICE_KEYS = {"widget": "pricing.widget_message_minor"}
TURN_SETTING_KEYS = (
    "pricing.message_minor", "pricing.widget_message_minor", "pricing.per_1k_tokens_minor",
    "billing.low_balance_thresholds_minor", "billing.zero_balance_behaviour",
)  # fmt: skip


class InsufficientFunds(DomainError):
    code = "insufficient_funds"

    def __init__(self, balance: int, needed: int, what: str = "the price of a reply") -> None:
        super().__init__(f"The balance ({balance / 100:.2f} ₽) is below {what} ({needed / 100:.2f} ₽)")
        self.balance, self.needed = balance, needed


@dataclass(frozen=True)
class LedgerEntry:
    transaction_id: int | None
    balance_after: int
    duplicate: bool


@dataclass(frozen=True)
class Account:
    """What a turn needs of its workspace and the platform, in one statement: whether the workspace is blocked, its
    plan, and the platform settings a turn reads (prices, per-token rates, alert thresholds). Passed as `settings=`
    to the functions below, they are read once per turn, never stale."""

    blocked: bool
    plan: Plan
    settings: dict[str, Any]


def _account_statement() -> sa.Select[tuple[Any, Plan, dict[str, Any] | None]]:
    settings = (
        sa.select(sa.func.jsonb_object_agg(SystemSetting.key, SystemSetting.value))
        .where(SystemSetting.key.in_(TURN_SETTING_KEYS))
        .scalar_subquery()
    )
    return (
        sa.select(Tenant.blocked_at, Plan, sa.type_coerce(settings, JSONB))
        .join(Plan, Plan.code == Tenant.plan_code)
        .where(Tenant.id == sa.bindparam("tenant_id"))
    )


_ACCOUNT = _account_statement()  # built once (issue 16)


async def account(*, session: AsyncSession, tenant_id: uuid.UUID) -> Account:
    row = (await session.exec(_ACCOUNT, params={"tenant_id": tenant_id})).first()  # type: ignore[call-overload]
    if row is None:
        raise NotFound("Workspace not found")
    stored = row[2] or {}
    settings = {key: stored[key] if key in stored else DEFAULTS.get(key) for key in TURN_SETTING_KEYS}
    return Account(row[0] is not None, row[1], settings)


async def _setting(session: AsyncSession, key: str, settings: dict[str, Any] | None) -> Any:
    return settings[key] if settings is not None and key in settings else await get_setting(session=session, key=key)


async def price_of_reply(*, session: AsyncSession, channel: str, settings: dict[str, Any] | None = None) -> int:
    return int(await _setting(session, CHANNEL_PRICE_KEYS.get(channel, "pricing.message_minor"), settings))


async def balance(*, session: AsyncSession, tenant_id: uuid.UUID) -> int:
    value = (await session.exec(sa.select(Tenant.balance_minor).where(Tenant.id == tenant_id))).scalar_one_or_none()
    if value is None:
        raise NotFound("Workspace not found")
    return value


async def authorize_reply(
    *,
    session: AsyncSession,
    tenant_id: uuid.UUID,
    channel: str,
    turn_key: str,
    plan: Plan | None = None,
    settings: dict[str, Any] | None = None,
) -> int:
    """Reserve the price of one reply before it is generated (charged now, once per `turn_key`); a turn
    that ends without a reply gives it back with `release_reply`. InsufficientFunds when it does not fit,
    so concurrent turns can never answer more replies than the balance pays for. `plan` and `settings`
    (`account`, `Account.settings`): what the caller read already."""
    plan = plan or await plans.plan_of(session=session, tenant_id=tenant_id)
    await plans.ensure_within(session=session, tenant_id=tenant_id, resource="messages_per_month", plan=plan)
    price = await price_of_reply(session=session, channel=channel, settings=settings)
    if price:
        await charge(session=session, tenant_id=tenant_id, amount=price, idempotency_key=turn_key,
                     reference=f"{channel} reply", meta={"channel": channel}, plan=plan, settings=settings)  # fmt: skip
    return price


async def release_reply(*, session: AsyncSession, tenant_id: uuid.UUID, price: int, turn_key: str) -> None:
    """Give back a reservation whose turn produced no reply (once)."""
    if price:
        await credit(session=session, tenant_id=tenant_id, amount=price, kind="refund",
                     idempotency_key=f"{turn_key}:release", reference="Reply not delivered")  # fmt: skip


async def price_of_tokens(
    *, session: AsyncSession, model: str, tokens: int, settings: dict[str, Any] | None = None
) -> int:
    """The optional per-token part of a reply's price (per model, per 1,000 tokens, rounded up)."""
    rates = await _setting(session, "pricing.per_1k_tokens_minor", settings) or {}
    rate = int(rates.get(model, 0))
    return -(-rate * tokens // 1000) if rate and tokens else 0


async def _existing(session: AsyncSession, tenant_id: uuid.UUID, key: str) -> LedgerEntry | None:
    row = (
        await session.exec(
            sa.select(BalanceTransaction.id, BalanceTransaction.balance_after_minor).where(
                BalanceTransaction.tenant_id == tenant_id, BalanceTransaction.idempotency_key == key
            )
        )
    ).first()
    return LedgerEntry(row[0], row[1], duplicate=True) if row else None


async def _record(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    kind: str,
    amount: int,
    key: str,
    reference: str,
    meta: dict[str, Any],
    *,
    floor: int = 0,
    actor: uuid.UUID | None = None,
) -> LedgerEntry | None:
    """Insert the ledger row first (the idempotency gate), then move the balance in the same transaction."""
    inserted = (
        await session.exec(
            insert(BalanceTransaction)
            .values(tenant_id=tenant_id, type=kind, amount_minor=amount, idempotency_key=key, reference=reference,
                    meta=meta, balance_after_minor=0, created_by_id=actor)
            .on_conflict_do_nothing(constraint="uq_balance_tx_idempotency")
            .returning(BalanceTransaction.id)
        )
    ).scalar_one_or_none()  # fmt: skip
    if inserted is None:
        return await _existing(session, tenant_id, key)
    condition = Tenant.balance_minor + amount >= floor
    after = (
        await session.exec(
            sa.update(Tenant)
            .where(Tenant.id == tenant_id, condition)
            .values(balance_minor=Tenant.balance_minor + amount)
            .returning(Tenant.balance_minor)
        )
    ).scalar_one_or_none()
    if after is None:
        return None
    await session.exec(
        sa.update(BalanceTransaction).where(BalanceTransaction.id == inserted).values(balance_after_minor=after)
    )
    return LedgerEntry(inserted, after, duplicate=False)


def _take_statement() -> sa.Select[tuple[int | None, int | None]]:
    """`_take`'s statement, built once (parameters: tenant_id, amount, floor, key, reference, meta)."""
    columns = BalanceTransaction.__table__.c  # type: ignore[attr-defined]
    tenant_id = sa.bindparam("tenant_id", type_=columns["tenant_id"].type)
    amount = sa.bindparam("amount", type_=sa.Integer())
    moved = (
        sa.update(Tenant)
        .where(Tenant.id == tenant_id, Tenant.balance_minor - amount >= sa.bindparam("floor", type_=sa.Integer()))
        .values(balance_minor=Tenant.balance_minor - amount)
        .returning(Tenant.balance_minor)
        .cte("moved")
    )
    values = {
        "tenant_id": tenant_id, "type": sa.literal("charge", columns["type"].type), "amount_minor": -amount,
        "idempotency_key": sa.bindparam("key", type_=columns["idempotency_key"].type),
        "reference": sa.bindparam("reference", type_=columns["reference"].type),
        "meta": sa.bindparam("meta", type_=columns["meta"].type),
    }  # fmt: skip
    inserted = (
        insert(BalanceTransaction)
        .from_select([*values, "balance_after_minor"], sa.select(*values.values(), moved.c.balance_minor))
        .on_conflict_do_nothing(constraint="uq_balance_tx_idempotency")
        .returning(BalanceTransaction.id)
        .cte("inserted")
    )
    return sa.select(sa.select(moved.c.balance_minor).scalar_subquery(), sa.select(inserted.c.id).scalar_subquery())


_TAKE = _take_statement()


async def _take(
    session: AsyncSession, tenant_id: uuid.UUID, amount: int, key: str, reference: str, meta: dict[str, Any], floor: int
) -> LedgerEntry | None:
    """A charge in one statement: the balance moves when it stays at or above `floor`, and the ledger row is written
    with the balance after. A repeated key moves it back (the tenant's row stays locked by this transaction) and
    returns the first charge; None when the balance does not allow it."""
    params = {"tenant_id": tenant_id, "amount": amount, "floor": floor, "key": key, "reference": reference,
              "meta": meta}  # fmt: skip
    after, row_id = (await session.exec(_TAKE, params=params)).one()  # type: ignore[call-overload]
    if row_id is not None:
        return LedgerEntry(row_id, after, duplicate=False)
    if after is not None:  # the key was used before: the balance goes back
        await session.exec(
            sa.update(Tenant).where(Tenant.id == tenant_id).values(balance_minor=Tenant.balance_minor + amount)
        )
    return await _existing(session, tenant_id, key)


async def charge(
    *,
    session: AsyncSession,
    tenant_id: uuid.UUID,
    amount: int,
    idempotency_key: str,
    reference: str = "",
    meta: dict[str, Any] | None = None,
    plan: Plan | None = None,
    settings: dict[str, Any] | None = None,
) -> LedgerEntry:
    """Take `amount` (>0) off the balance once per idempotency key; InsufficientFunds if it would go negative.
    `plan`, `settings`: the tenant's plan and `Account.settings` when the caller read them already."""
    floor = _floor(plan or await plans.plan_of(session=session, tenant_id=tenant_id))
    entry = await _take(session, tenant_id, amount, idempotency_key, reference, meta or {}, floor)
    if entry is None:
        raise InsufficientFunds(await balance(session=session, tenant_id=tenant_id), amount)
    if not entry.duplicate:
        await _notice_low_balance(session, tenant_id, entry.balance_after + amount, entry.balance_after, settings)
    return entry


def _floor(plan: Plan) -> int:
    """How far below zero the balance may go: 0, or the plan's credit limit when the plan allows credit."""
    return -int(plan.limits.get("credit_limit_minor", 0)) if plan.allows_credit else 0


def crossed(before: int, after: int, thresholds: list[int]) -> list[int]:
    """Thresholds the balance fell below: it was above one and is now under it. A balance that only starts at
    a threshold (a new account's welcome bonus of 100 ₽ with a 100 ₽ alert) has not fallen below it."""
    return [t for t in thresholds if after < t < before]


async def _notice_low_balance(
    session: AsyncSession, tenant_id: uuid.UUID, before: int, after: int, settings: dict[str, Any] | None = None
) -> None:
    """A notice for the tenant (kept in the audit log, shown on the billing page) at each threshold crossed."""
    thresholds = [int(t) for t in await _setting(session, "billing.low_balance_thresholds_minor", settings)]
    for threshold in crossed(before, after, thresholds):
        meta = {"threshold_minor": threshold, "balance_minor": after}
        session.add(AuditLog(tenant_id=tenant_id, action="billing.low_balance", target_type="tenant", meta=meta))


async def credit(
    *,
    session: AsyncSession,
    tenant_id: uuid.UUID,
    amount: int,
    kind: str,
    idempotency_key: str,
    reference: str = "",
    meta: dict[str, Any] | None = None,
) -> LedgerEntry:
    entry = await _record(session, tenant_id, kind, amount, idempotency_key, reference, meta or {})
    assert entry is not None  # a credit cannot make a balance negative
    return entry


async def grant_welcome_bonus(*, session: AsyncSession, tenant_id: uuid.UUID) -> LedgerEntry | None:
    amount = int(await get_setting(session=session, key="billing.welcome_bonus_minor") or 0)
    if amount <= 0:
        return None
    return await credit(
        session=session,
        tenant_id=tenant_id,
        amount=amount,
        kind="welcome_bonus",
        idempotency_key="welcome_bonus",
        reference="Welcome bonus",
    )


async def adjust_balance(
    *, session: AsyncSession, tenant_id: uuid.UUID, amount: int, reason: str, actor: uuid.UUID
) -> LedgerEntry:
    """An administrator's manual credit (amount > 0) or debit (amount < 0), with a reason, in the ledger."""
    reason = (reason or "").strip()
    errors = {}
    if not amount:
        errors["amount"] = "Enter a non-zero amount"
    if not 3 <= len(reason) <= 200:
        errors["reason"] = "Give a reason (3 to 200 characters)"
    if errors:
        raise ValidationFailed(errors)
    key = f"adjust:{uuid.uuid4()}"
    if amount > 0:
        entry = await _record(session, tenant_id, "adjustment", amount, key, reason, {}, actor=actor)
        assert entry is not None
        return entry
    async with session.begin_nested():
        entry = await _record(session, tenant_id, "adjustment", amount, key, reason, {}, actor=actor)
        if entry is None:
            raise InsufficientFunds(await balance(session=session, tenant_id=tenant_id), -amount)
    return entry


async def change_plan(*, session: AsyncSession, tenant_id: uuid.UUID, plan_code: str, actor: uuid.UUID) -> LedgerEntry:
    """Switch plans, paying the new plan's monthly price from the balance (once per plan and month)."""
    plan = await session.get(Plan, plan_code)
    if plan is None or not plan.is_public:
        raise NotFound("No such plan")
    used = await plans.usage(session=session, tenant_id=tenant_id)
    over = [r for r in plans.RESOURCES if r in plan.limits and used[r] > int(plan.limits[r])]
    if over:
        resource = over[0]
        raise plans.PlanLimitReached(plan.name, resource, int(plan.limits[resource]))
    month = plans.month_start().strftime("%Y-%m")
    entry = LedgerEntry(None, await balance(session=session, tenant_id=tenant_id), duplicate=True)
    if plan.monthly_price_minor:
        try:
            entry = await charge(
                session=session, tenant_id=tenant_id, amount=plan.monthly_price_minor,
                idempotency_key=f"plan:{plan.code}:{month}", reference=f"{plan.name} plan, {month}",
            )  # fmt: skip
        except InsufficientFunds as exc:
            raise InsufficientFunds(exc.balance, exc.needed, f"the {plan.name} plan's monthly price") from None
    await plans.assign_plan(session=session, tenant_id=tenant_id, plan_code=plan.code)
    session.add(AuditLog(tenant_id=tenant_id, actor_user_id=actor, action="billing.plan_changed",
                         target_type="plan", target_id=plan.code))  # fmt: skip
    return entry
