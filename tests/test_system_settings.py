"""System settings (issue 14): forms in roubles, each change audited with its previous value, and the settings
take effect (prices, plan limits, handoff defaults of new assistants, feature flags)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import psycopg
import pytest

from chatai_app.db import session_scope
from chatai_app.models import Assistant, AuditLog, Plan
from chatai_app.services import assistants, billing, plans, system_settings
from chatai_app.services.errors import PermissionDenied, ValidationFailed
from chatai_app.services.knowledge import websites
from tests.knowledge.conftest import make_workspace
from tests.team.conftest import _client


@pytest.fixture
async def restore_settings(clean_db: str) -> AsyncIterator[str]:
    """system_settings and plans are seeded (kept between tests): put them back as they were."""
    with psycopg.connect(clean_db) as conn:
        settings = conn.execute("SELECT key, value::text FROM system_settings").fetchall()
        limits = conn.execute("SELECT code, monthly_price_minor, limits::text FROM plans").fetchall()
    yield clean_db
    with psycopg.connect(clean_db) as conn:
        conn.execute("DELETE FROM system_settings")
        for key, value in settings:
            conn.execute("INSERT INTO system_settings (key, value) VALUES (%s, %s::jsonb)", (key, value))
        for code, price, plan_limits in limits:
            conn.execute(
                "UPDATE plans SET monthly_price_minor = %s, limits = %s::jsonb WHERE code = %s",
                (price, plan_limits, code),
            )


def _audit(url: str) -> list[tuple]:
    with psycopg.connect(url) as conn:
        return conn.execute(
            "SELECT action, target_id, meta->'previous', meta->'value' FROM audit_log "
            "WHERE action IN ('settings.changed', 'plan.changed') ORDER BY id"
        ).fetchall()


async def test_the_form_in_roubles_changes_prices_and_audits_the_previous_values(restore_settings: str) -> None:
    ws = await make_workspace("owner@example.com")
    form = {
        "pricing.message_minor": "1,50",  # ₽ with a comma
        "pricing.widget_message_minor": "2 000 ₽",
        "billing.welcome_bonus_minor": "100",  # unchanged (the default is 100 ₽): no audit row
        "billing.low_balance_thresholds_minor": "50; 5",
        "billing.zero_balance_behaviour": "handoff",
        "handoff.fallback_after": "3",
        "features.website_import": "off",
    }
    changes, errors = system_settings.from_form(form, token_rows=[("gpt-4o-mini", "0.30"), ("", "")])
    assert errors == {}
    async with session_scope() as session:
        changed = await system_settings.change(session=session, changes=changes, actor=None, ip="203.0.113.5")
    assert set(changed) == set(changes) - {"billing.welcome_bonus_minor"}
    audit = {key: (previous, value) for action, key, previous, value in _audit(restore_settings)}
    assert audit["pricing.message_minor"] == (100, 150)
    assert audit["pricing.widget_message_minor"] == (100, 200000)
    assert audit["pricing.per_1k_tokens_minor"] == ({}, {"gpt-4o-mini": 30})
    assert audit["billing.low_balance_thresholds_minor"] == ([10000, 1000], [5000, 500])
    assert audit["handoff.fallback_after"] == (2, 3) and audit["features.website_import"] == (True, False)
    assert "billing.welcome_bonus_minor" not in audit
    async with session_scope() as session:
        assert await billing.price_of_reply(session=session, channel="widget") == 200000
        again = await system_settings.change(session=session, changes=changes, actor=None)
        current = await system_settings.current(session=session)
        history = await system_settings.history(session=session)
    assert again == [] and current["pricing.message_minor"] == 150
    assert history[0].key in changed and {h.key for h in history} == set(changed)
    async with session_scope() as session:
        with pytest.raises(PermissionDenied):  # the flag is off: website import refuses
            await websites.add_website(
                session=session, tenant_id=ws.tenant_id, assistant_id=ws.assistant_id, url="https://example.com/"
            )
    # a new assistant starts with the platform's handoff defaults; existing ones keep theirs
    async with session_scope() as session:
        fresh = await assistants.create_assistant(session=session, tenant_id=ws.tenant_id, name="Second")
        stored = await session.get(Assistant, fresh.id)
        first = await session.get(Assistant, ws.assistant_id)
    assert stored.handoff_settings == {"fallback_after": 3} and first.handoff_settings == {}  # type: ignore[union-attr]


async def test_bad_form_values_are_refused_with_a_message_per_field(restore_settings: str) -> None:
    _, errors = system_settings.from_form(
        {"pricing.message_minor": "-5", "billing.low_balance_thresholds_minor": "1; 2; 3; 4; 5; 6"},
        token_rows=[("", "10")],
    )
    assert set(errors) == {
        "pricing.message_minor",
        "billing.low_balance_thresholds_minor",
        "pricing.per_1k_tokens_minor",
    }
    async with session_scope() as session:
        with pytest.raises(ValidationFailed) as refused:
            await system_settings.change(
                session=session,
                changes={"handoff.fallback_after": 99, "handoff.on_timeout": "never", "colour": "red"},
                actor=None,
            )
    assert set(refused.value.fields) == {"handoff.fallback_after", "handoff.on_timeout", "colour"}
    assert _audit(restore_settings) == []


async def test_plan_limits_are_edited_audited_and_enforced(restore_settings: str) -> None:
    ws = await make_workspace("owner@example.com")
    async with session_scope() as session:
        before = (await session.get(Plan, "free")).limits  # type: ignore[union-attr]
        changed = await system_settings.change_plan(
            session=session, code="free", monthly_price_minor=0, limits={"assistants": 1, "documents": None}, actor=None
        )
    assert changed
    [(action, code, previous, value)] = _audit(restore_settings)
    assert (action, code, previous["limits"]) == ("plan.changed", "free", before)
    assert value["limits"]["assistants"] == 1 and "documents" not in value["limits"]
    async with session_scope() as session:
        with pytest.raises(plans.PlanLimitReached):  # the workspace already has one assistant
            await assistants.create_assistant(session=session, tenant_id=ws.tenant_id, name="Second")
        with pytest.raises(ValidationFailed):
            await system_settings.change_plan(
                session=session, code="free", monthly_price_minor=-1, limits={"bots": -2}, actor=None
            )


async def test_closed_sign_up_refuses_new_accounts_but_not_existing_ones(restore_settings: str) -> None:
    async with _client() as api:
        body = {"email": "early@example.com", "password": "correct horse battery 1", "workspace_name": "Early"}
        assert (await api.post("/api/v1/auth/signup", json=body)).status_code == 201
        async with session_scope() as session:
            await system_settings.change(session=session, changes={"features.signup_open": False}, actor=None)
        late = await api.post("/api/v1/auth/signup", json={**body, "email": "late@example.com"})
        assert late.status_code == 403 and "closed" in late.json()["message"]
        # signing up again with one's own password is a sign-in, closed or not
        assert (await api.post("/api/v1/auth/signup", json=body)).status_code == 201
    async with session_scope() as session:
        rows = (await session.exec(AuditLog.__table__.select())).all()  # type: ignore[attr-defined,call-overload]
    assert any(r.action == "settings.changed" and r.target_id == "features.signup_open" for r in rows)
