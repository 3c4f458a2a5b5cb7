"""Billing page: balance, plan, usage, top-up, promo code, history with filters and CSV, spend by day,
notices. Admin page: pricing settings, balance adjustments, promo codes."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time
from typing import ClassVar

import reflex as rx

from chatai_app.db import session_scope
from chatai_app.services import accounts, billing, billing_reports, payments, plans, promo, settings_store
from chatai_app.services.errors import DomainError, ValidationFailed
from chatai_app.services.permissions import Permission
from chatai_app.settings import get_settings
from chatai_app.state.session import signed_in


def _money(minor: int) -> str:
    return f"{minor / 100:,.2f}".replace(",", " ")


def _day(value: str) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _whole_units(value: str) -> int | None:
    try:
        return round(float(value.replace(",", ".").replace(" ", "")) * 100)
    except ValueError:
        return None


class BillingState(rx.State):
    required_permission: ClassVar[Permission] = Permission.billing_read
    balance: str = ""
    plan_code: str = ""
    plan_name: str = ""
    usage: list[dict[str, str]] = []
    plan_cards: list[dict[str, str]] = []
    payments_enabled: bool = False
    rows: list[dict[str, str]] = []
    spend: list[dict[str, str | int]] = []
    notices: list[dict[str, str]] = []
    kind: str = "all"
    since: str = ""
    until: str = ""
    message: str = ""
    error: str = ""

    async def _refresh(self) -> None:
        _, context = await signed_in(self)
        async with session_scope() as session:
            current = await plans.plan_of(session=session, tenant_id=context.tenant_id)
            used = await plans.usage(session=session, tenant_id=context.tenant_id)
            self.balance = _money(await billing.balance(session=session, tenant_id=context.tenant_id))
            self.plan_cards = [
                {"code": p.code, "name": p.name, "price": _money(p.monthly_price_minor),
                 "limits": ", ".join(f"{plans.LABELS[k]}: {v}" for k, v in p.limits.items() if k in plans.LABELS)}
                for p in await plans.list_plans(session=session)
            ]  # fmt: skip
            rows = await billing_reports.transactions(
                session=session, tenant_id=context.tenant_id, kind=None if self.kind == "all" else self.kind,
                since=_day(self.since), until=_day(self.until), limit=200,
            )  # fmt: skip
            series = await billing_reports.spend_by_day(session=session, tenant_id=context.tenant_id, days=30)
            found = await billing_reports.notices(session=session, tenant_id=context.tenant_id, limit=5)
        self.plan_code, self.plan_name = current.code, current.name
        self.usage = [
            {"name": plans.LABELS[k], "used": str(used[k]), "limit": str(current.limits.get(k, "∞"))}
            for k in plans.RESOURCES
        ]
        self.rows = [
            {"when": f"{r.created_at:%Y-%m-%d %H:%M}", "type": r.type, "amount": _money(r.amount_minor),
             "after": _money(r.balance_after_minor), "reference": r.reference}
            for r in rows
        ]  # fmt: skip
        self.spend = [{"day": d.strftime("%d.%m"), "spent": v / 100} for d, v in series]
        self.notices = [{"when": f"{n.created_at:%Y-%m-%d %H:%M}", "text": _notice_text(n)} for n in found]
        self.payments_enabled = payments.configured_provider() is not None

    @rx.event
    async def load(self):
        try:
            await self._refresh()
        except DomainError:
            return rx.redirect("/login")
        return None

    @rx.event
    async def filter(self, form: dict[str, str]):
        self.since, self.until = form.get("since", ""), form.get("until", "")
        await self._refresh()

    @rx.event
    async def set_kind(self, kind: str):
        self.kind = kind
        await self._refresh()

    @rx.event
    async def redeem(self, form: dict[str, str]):
        self.message = self.error = ""
        try:
            _, context = await signed_in(self, Permission.billing_manage)
            async with session_scope() as session:
                done = await promo.redeem(
                    session=session, tenant_id=context.tenant_id, user_id=context.user_id, code=form.get("code", "")
                )
        except ValidationFailed as exc:
            self.error = "; ".join(exc.fields.values())
            return None
        except DomainError as exc:
            self.error = exc.message
            return None
        self.message = (
            f"+{_money(done.credited_minor)} added" if done.kind == "amount" else f"+{done.value}% on your next top-up"
        )
        await self._refresh()
        return rx.set_value("promo-code", "")

    @rx.event
    async def choose_plan(self, code: str):
        self.message = self.error = ""
        try:
            _, context = await signed_in(self, Permission.billing_manage)
            async with session_scope() as session:
                await billing.change_plan(session=session, tenant_id=context.tenant_id, plan_code=code,
                                          actor=context.user_id)  # fmt: skip
        except DomainError as exc:
            self.error = exc.message
            return
        await self._refresh()
        self.message = f"Plan: {self.plan_name}"

    @rx.event
    async def top_up(self, form: dict[str, str]):
        self.message = self.error = ""
        amount = _whole_units(form.get("amount", ""))
        try:
            _, context = await signed_in(self, Permission.billing_manage)
            payment = await payments.start_topup(
                provider=payments.configured_provider(), tenant_id=context.tenant_id, user_id=context.user_id,
                amount_minor=amount or 0, return_url=f"{get_settings().base_url.rstrip('/')}/billing",
            )  # fmt: skip
        except ValidationFailed as exc:
            self.error = "; ".join(exc.fields.values())
            return None
        except DomainError as exc:
            self.error = exc.message
            return None
        return rx.redirect(payment.checkout_url, is_external=True)

    @rx.event
    async def export_csv(self):
        _, context = await signed_in(self)
        async with session_scope() as session:
            rows = await billing_reports.transactions(
                session=session, tenant_id=context.tenant_id, kind=None if self.kind == "all" else self.kind,
                since=_day(self.since), until=_day(self.until), limit=100_000,
            )  # fmt: skip
        return rx.download(data=billing_reports.to_csv(rows), filename="transactions.csv")


def _notice_text(notice: billing_reports.Notice) -> str:
    if notice.action == "billing.low_balance":
        return f"Balance fell below {_money(int(notice.meta.get('threshold_minor', 0)))}"
    if notice.action == "billing.exhausted":
        return f"Replies stopped: {notice.meta.get('message', '')}"
    if notice.action == "billing.plan_changed":
        return "Plan changed"
    return notice.action


class AdminBillingState(rx.State):
    required_permission: ClassVar[Permission] = Permission.platform_admin
    pricing: str = ""
    codes: list[dict[str, str]] = []
    message: str = ""
    error: str = ""

    async def _admin(self):
        _, context = await signed_in(self)
        if not context.is_admin:
            raise DomainError("Only platform admins can open this page")
        return context

    async def _refresh(self) -> None:
        async with session_scope() as session:
            values = await settings_store.pricing(session=session)
            found = await promo.list_codes(session=session)
        self.pricing = json.dumps(values, indent=2, ensure_ascii=False)
        self.codes = [
            {"code": c.code, "kind": c.kind, "value": str(c.value), "used": f"{c.used_count}/{c.max_uses or '∞'}",
             "expires": f"{c.expires_at:%Y-%m-%d}" if c.expires_at else ""}
            for c in found
        ]  # fmt: skip

    @rx.event
    async def load(self):
        try:
            await self._admin()
        except DomainError:
            return rx.redirect("/")
        await self._refresh()
        return None

    @rx.event
    async def save_pricing(self, form: dict[str, str]):
        context = await self._admin()
        self.message = self.error = ""
        try:
            changes = json.loads(form.get("pricing", ""))
            async with session_scope() as session:
                await settings_store.set_pricing(session=session, changes=changes, actor=context.user_id)
        except json.JSONDecodeError as exc:
            self.error = f"Not valid JSON: {exc.msg} (line {exc.lineno})"
            return
        except ValidationFailed as exc:
            self.error = "; ".join(f"{k}: {v}" for k, v in exc.fields.items())
            return
        await self._refresh()
        self.message = "Pricing saved"

    @rx.event
    async def adjust(self, form: dict[str, str]):
        context = await self._admin()
        self.message = self.error = ""
        amount = _whole_units(form.get("amount", ""))
        try:
            async with session_scope() as session:
                tenant_id = await accounts.owned_tenant(session=session, email=form.get("email", ""))
                entry = await billing.adjust_balance(session=session, tenant_id=tenant_id, amount=amount or 0,
                                                     reason=form.get("reason", ""), actor=context.user_id)  # fmt: skip
        except ValidationFailed as exc:
            self.error = "; ".join(exc.fields.values())
            return
        except DomainError as exc:
            self.error = exc.message
            return
        self.message = f"Done; the balance is now {_money(entry.balance_after)}"

    @rx.event
    async def add_code(self, form: dict[str, str]):
        await self._admin()
        self.message = self.error = ""
        try:
            value = int(form.get("value", "0") or 0)
            value = value * 100 if form.get("kind") == "amount" else value
            expires = _day(form.get("expires", ""))
            async with session_scope() as session:
                await promo.create_code(
                    session=session, code=form.get("code", ""), kind=form.get("kind", "amount"), value=value,
                    max_uses=int(form["max_uses"]) if form.get("max_uses") else None,
                    expires_at=datetime_end_of(expires) if expires else None,
                )  # fmt: skip
        except ValueError:
            self.error = "Value and uses are whole numbers"
            return
        except ValidationFailed as exc:
            self.error = "; ".join(f"{k}: {v}" for k, v in exc.fields.items())
            return
        except DomainError as exc:
            self.error = exc.message
            return
        await self._refresh()
        self.message = "Promo code created"


def datetime_end_of(day: date) -> datetime:
    return datetime.combine(day, time.max, tzinfo=UTC)
