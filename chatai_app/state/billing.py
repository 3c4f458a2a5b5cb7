"""Billing page: balance, plan, usage, top-up, promo code, history with filters and CSV, spend by day,
notices. Admin page: balance adjustments, promo codes (pricing lives on /admin/settings, state/admin_settings.py)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import ClassVar

import reflex as rx

from chatai_app.db import session_scope
from chatai_app.i18n import PLAN_NAMES_RU, both
from chatai_app.services import accounts, billing, billing_reports, payments, plans, promo
from chatai_app.services.errors import DomainError, ValidationFailed
from chatai_app.services.permissions import Permission
from chatai_app.settings import get_settings
from chatai_app.state.session import SessionState, signed_in


def _money(minor: int) -> str:
    return f"{minor / 100:,.2f}".replace(",", " ")


def _rub(minor: int) -> str:
    return f"{_money(minor)} ₽"


def _reference(text: str) -> dict[str, str]:
    """A ledger row's reference in both languages (references are stored in English)."""
    ru = text
    if text.endswith(" reply") and " " not in text[: -len(" reply")]:
        channel = text[: -len(" reply")]
        ru = "ответ: " + {"widget": "виджет", "playground": "песочница", "telegram": "Telegram", "api": "API"}.get(
            channel, channel
        )
    elif text == "Welcome bonus":
        ru = "Приветственный бонус"
    elif text == "Reply not delivered":
        ru = "Ответ не доставлен"
    elif text.startswith("Promo code "):
        ru = "Промокод " + text[len("Promo code ") :]
    elif " plan, " in text:
        name, month = text.split(" plan, ", 1)
        ru = f"Тариф «{PLAN_NAMES_RU.get(name, name)}», {month}"
    return {"en": text, "ru": ru}


def _limits(limits: dict[str, object], lang: str) -> str:
    labels = {
        "en": {
            "assistants": "assistants",
            "bots": "Telegram bots",
            "documents": "documents",
            "messages_per_month": "AI messages a month",
        },
        "ru": {
            "assistants": "ассистентов",
            "bots": "Telegram-ботов",
            "documents": "документов",
            "messages_per_month": "ответов ИИ в месяц",
        },
    }[lang]
    return " · ".join(f"{v} {labels[k]}" for k, v in limits.items() if k in labels)


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
    pending_plan: dict[str, str] = {}  # the plan whose charge is being confirmed

    async def _toast(self, text: str, ok: bool = True):
        message = (await self.get_state(SessionState)).message(text)
        return rx.toast.success(message) if ok else rx.toast.error(message)

    async def _refresh(self) -> None:
        _, context = await signed_in(self)
        async with session_scope() as session:
            current = await plans.plan_of(session=session, tenant_id=context.tenant_id)
            used = await plans.usage(session=session, tenant_id=context.tenant_id)
            self.balance = _money(await billing.balance(session=session, tenant_id=context.tenant_id))
            self.plan_cards = [
                {
                    "code": p.code,
                    "name": p.name,
                    "price": _rub(p.monthly_price_minor),
                    "limits_en": _limits(p.limits, "en"),
                    "limits_ru": _limits(p.limits, "ru"),
                }
                for p in await plans.list_plans(session=session)
            ]
            rows = await billing_reports.transactions(
                session=session,
                tenant_id=context.tenant_id,
                kind=None if self.kind == "all" else self.kind,
                since=_day(self.since),
                until=_day(self.until),
                limit=200,
            )
            series = await billing_reports.spend_by_day(session=session, tenant_id=context.tenant_id, days=30)
            found = await billing_reports.notices(session=session, tenant_id=context.tenant_id, limit=5)
        self.plan_code, self.plan_name = current.code, current.name
        self.usage = [
            {"name": k, "used": str(used[k]), "limit": str(current.limits.get(k, "∞"))} for k in plans.RESOURCES
        ]
        self.rows = [
            {
                "when": f"{r.created_at:%Y-%m-%d %H:%M}",
                "type": r.type,
                "amount": _rub(r.amount_minor),
                "after": _rub(r.balance_after_minor),
                "reference_en": r.reference,
                "reference_ru": _reference(r.reference)["ru"],
            }
            for r in rows
        ]
        self.spend = [{"day": d.strftime("%d.%m"), "spent": v / 100} for d, v in series]
        self.notices = [{"when": f"{n.created_at:%Y-%m-%d %H:%M}", **_notice_text(n)} for n in found]
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
        try:
            _, context = await signed_in(self, Permission.billing_manage)
            async with session_scope() as session:
                done = await promo.redeem(
                    session=session, tenant_id=context.tenant_id, user_id=context.user_id, code=form.get("code", "")
                )
        except ValidationFailed as exc:
            return await self._toast("; ".join(exc.fields.values()), ok=False)
        except DomainError as exc:
            return await self._toast(exc.message, ok=False)
        lang = (await self.get_state(SessionState)).lang
        if done.kind == "amount":
            text = f"+{_rub(done.credited_minor)} " + ("зачислено" if lang == "ru" else "added")
        else:
            text = f"+{done.value}% " + ("к следующему пополнению" if lang == "ru" else "on your next top-up")
        await self._refresh()
        return [rx.set_value("promo-code", ""), rx.toast.success(text)]

    @rx.event
    def ask_plan(self, code: str):
        """Choosing a paid plan charges its monthly price: confirm first (with the price)."""
        self.pending_plan = next((p for p in self.plan_cards if p["code"] == code), {})

    @rx.event
    def cancel_plan(self):
        self.pending_plan = {}

    @rx.event
    async def choose_plan(self, code: str = ""):
        code, self.pending_plan = code or self.pending_plan.get("code", ""), {}
        try:
            _, context = await signed_in(self, Permission.billing_manage)
            async with session_scope() as session:
                await billing.change_plan(
                    session=session, tenant_id=context.tenant_id, plan_code=code, actor=context.user_id
                )
        except DomainError as exc:
            return await self._toast(exc.message, ok=False)
        await self._refresh()
        return await self._toast("Plan changed")

    @rx.event
    async def top_up(self, form: dict[str, str]):
        amount = _whole_units(form.get("amount", ""))
        try:
            _, context = await signed_in(self, Permission.billing_manage)
            payment = await payments.start_topup(
                provider=payments.configured_provider(),
                tenant_id=context.tenant_id,
                user_id=context.user_id,
                amount_minor=amount or 0,
                return_url=f"{get_settings().base_url.rstrip('/')}/billing",
            )
        except ValidationFailed as exc:
            return await self._toast("; ".join(exc.fields.values()), ok=False)
        except DomainError as exc:
            return await self._toast(exc.message, ok=False)
        return rx.redirect(payment.checkout_url, is_external=True)

    @rx.event
    async def export_csv(self):
        _, context = await signed_in(self)
        async with session_scope() as session:
            rows = await billing_reports.transactions(
                session=session,
                tenant_id=context.tenant_id,
                kind=None if self.kind == "all" else self.kind,
                since=_day(self.since),
                until=_day(self.until),
                limit=100_000,
            )
        return rx.download(data=billing_reports.to_csv(rows), filename="transactions.csv")


def _notice_text(notice: billing_reports.Notice) -> dict[str, str]:
    """The notice in both languages (keys `en`, `ru`)."""
    if notice.action == "billing.low_balance":
        amount = _rub(int(notice.meta.get("threshold_minor", 0)))
        return {"en": f"Balance fell below {amount}", "ru": f"Баланс опустился ниже {amount}"}
    if notice.action == "billing.exhausted":
        reason = both(str(notice.meta.get("message", "")))
        return {"en": f"Replies stopped: {reason['en']}", "ru": f"Ответы остановлены: {reason['ru']}"}
    if notice.action == "billing.plan_changed":
        return {"en": "Plan changed", "ru": "Тариф изменён"}
    return {"en": notice.action, "ru": notice.action}


class AdminBillingState(rx.State):
    """Balance adjustments and promo codes; every amount is shown and entered in roubles (₽)
    and stored in minor units."""

    required_permission: ClassVar[Permission] = Permission.platform_admin
    codes: list[dict[str, str]] = []
    errors: dict[str, str] = {}

    async def _admin(self):
        _, context = await signed_in(self)
        if not context.is_admin:
            raise DomainError("Only platform admins can open this page")
        return context

    async def _toast(self, text: str, ok: bool = True):
        message = (await self.get_state(SessionState)).message(text)
        return rx.toast.success(message) if ok else rx.toast.error(message)

    async def _refresh(self) -> None:
        async with session_scope() as session:
            found = await promo.list_codes(session=session)
        self.codes = [
            {
                "code": c.code,
                "kind": c.kind,
                "value": _rub(c.value) if c.kind == "amount" else f"{c.value} %",
                "used": f"{c.used_count}/{c.max_uses or '∞'}",
                "expires": f"{c.expires_at:%Y-%m-%d}" if c.expires_at else "",
            }
            for c in found
        ]

    @rx.event
    async def load(self):
        try:
            await self._admin()
        except DomainError:
            return rx.redirect("/")
        self.errors = {}
        await self._refresh()
        return None

    @rx.event
    async def adjust(self, form: dict[str, str]):
        context = await self._admin()
        amount = _whole_units(form.get("amount", ""))
        try:
            async with session_scope() as session:
                tenant_id = await accounts.owned_tenant(session=session, email=form.get("email", ""))
                entry = await billing.adjust_balance(
                    session=session,
                    tenant_id=tenant_id,
                    amount=amount or 0,
                    reason=form.get("reason", ""),
                    actor=context.user_id,
                )
        except ValidationFailed as exc:
            return await self._toast("; ".join(exc.fields.values()), ok=False)
        except DomainError as exc:
            return await self._toast(exc.message, ok=False)
        lang = (await self.get_state(SessionState)).lang
        done = "Готово; баланс теперь" if lang == "ru" else "Done; the balance is now"
        return rx.toast.success(f"{done} {_rub(entry.balance_after)}")

    @rx.event
    async def add_code(self, form: dict[str, str]):
        await self._admin()
        session_state = await self.get_state(SessionState)
        kind = form.get("kind", "amount")
        errors: dict[str, str] = {}
        raw = form.get("value", "").strip()
        if kind == "amount":
            value = _whole_units(raw)
            if not value or value <= 0:
                errors["value"] = "Enter a positive amount in ₽"
        else:
            value = int(raw) if raw.isdigit() else None
            if value is None or not 1 <= value <= 100:
                errors["value"] = "Enter a percent from 1 to 100"
        uses = form.get("max_uses", "").strip()
        if uses and (not uses.isdigit() or int(uses) < 1):
            errors["max_uses"] = "Uses are a whole number, 1 or more"
        if not errors:
            expires = _day(form.get("expires", ""))
            try:
                async with session_scope() as session:
                    await promo.create_code(
                        session=session,
                        code=form.get("code", ""),
                        kind=kind,
                        value=value or 0,
                        max_uses=int(uses) if uses else None,
                        expires_at=datetime_end_of(expires) if expires else None,
                    )
            except ValidationFailed as exc:
                errors = {k: PROMO_HINTS.get(k, v) for k, v in exc.fields.items()}
            except DomainError as exc:
                return await self._toast(exc.message, ok=False)
        self.errors = {f"promo_{k}": session_state.message(v) for k, v in errors.items()}
        if errors:
            return None
        await self._refresh()
        return [
            rx.set_value("new-code", ""),
            rx.set_value("new-code-value", ""),
            await self._toast("Promo code created"),
        ]


PROMO_HINTS = {"value": "Enter a positive amount in ₽"}


def datetime_end_of(day: date) -> datetime:
    return datetime.combine(day, time.max, tzinfo=UTC)
