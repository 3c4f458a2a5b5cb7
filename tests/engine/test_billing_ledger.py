"""The ledger under concurrency on real PostgreSQL: no overdraft, no double charge, balance == sum of rows."""

from __future__ import annotations

import asyncio

import psycopg
import pytest

from chatai_app.db import session_scope
from chatai_app.services import billing
from tests.knowledge.conftest import Workspace


async def _charge(ws: Workspace, key: str, amount: int = 300) -> bool:
    try:
        async with session_scope() as session:
            await billing.charge(session=session, tenant_id=ws.tenant_id, amount=amount, idempotency_key=key)
        return True
    except billing.InsufficientFunds:
        return False


async def test_200_concurrent_charges_never_overdraw_or_double_count(shop: Workspace, clean_db: str) -> None:
    start = 10_000  # the welcome bonus: room for 33 charges of 300
    keys = [f"charge-{i % 150}" for i in range(200)]  # 50 of them repeat an idempotency key
    results = await asyncio.gather(*(_charge(shop, key) for key in keys))
    with psycopg.connect(clean_db) as conn:
        balance = conn.execute("SELECT balance_minor FROM tenants").fetchone()[0]
        charges = conn.execute("SELECT count(*), count(DISTINCT idempotency_key) FROM balance_transactions "
                               "WHERE type = 'charge'").fetchone()  # fmt: skip
        ledger_sum = conn.execute("SELECT sum(amount_minor) FROM balance_transactions").fetchone()[0]
        lowest_after = conn.execute("SELECT min(balance_after_minor) FROM balance_transactions").fetchone()[0]
        charged = {key for (key,) in conn.execute("SELECT idempotency_key FROM balance_transactions "
                                                  "WHERE type = 'charge'")}  # fmt: skip
    assert charges[0] == charges[1] == 33  # one row per key, and only as many as the balance allowed
    assert balance == start - 33 * 300 == ledger_sum
    assert lowest_after >= 0 and balance >= 0
    # Every call on a charged key succeeds (a repeat returns the first entry, even with the money gone),
    # every other call is refused: 33 first calls plus one repeat per charged key among the 50 repeated.
    assert results == [key in charged for key in keys]
    assert sum(results) == 33 + len(charged & set(keys[150:]))


async def test_repeated_key_returns_the_first_entry(shop: Workspace) -> None:
    async with session_scope() as session:
        first = await billing.charge(session=session, tenant_id=shop.tenant_id, amount=100, idempotency_key="k")
    async with session_scope() as session:
        again = await billing.charge(session=session, tenant_id=shop.tenant_id, amount=100, idempotency_key="k")
        assert await billing.balance(session=session, tenant_id=shop.tenant_id) == 9_900
    assert (again.transaction_id, again.balance_after, again.duplicate) == (first.transaction_id, 9_900, True)
    with pytest.raises(billing.InsufficientFunds, match="below the price"):
        async with session_scope() as session:
            await billing.charge(session=session, tenant_id=shop.tenant_id, amount=10**6, idempotency_key="big")
