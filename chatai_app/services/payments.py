"""Top-ups through a payment provider: an adapter interface and Stripe Checkout, with signed, idempotent webhooks.

A top-up is a `payments` row created when checkout starts; the ledger is credited only when the provider's
webhook (signature verified) says it is paid, once: each webhook event id is recorded, and the credit's
idempotency key is the provider's payment id, so replays and retries never double-count.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy.dialects.postgresql import insert
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from chatai_app.db import session_scope
from chatai_app.models import AuditLog, Payment, PaymentEvent
from chatai_app.models._base import utcnow
from chatai_app.services import account_links, billing, promo
from chatai_app.services.errors import DomainError, ValidationFailed
from chatai_app.settings import get_settings

log = logging.getLogger(__name__)
MIN_TOPUP_MINOR, MAX_TOPUP_MINOR = 100, 10_000_000


class PaymentWebhookRejected(DomainError):
    code = "webhook_rejected"


class PaymentsNotConfigured(DomainError):
    code = "payments_not_configured"

    def __init__(self) -> None:
        super().__init__("Online payments are not configured; ask the administrator to top up your balance")


@dataclass(frozen=True)
class Checkout:
    provider_payment_id: str
    url: str


@dataclass(frozen=True)
class WebhookEvent:
    event_id: str
    type: str
    provider_payment_id: str | None
    paid: bool
    amount_minor: int
    currency: str


class PaymentProvider(Protocol):
    name: str

    def create_checkout(
        self, *, payment_id: uuid.UUID, tenant_id: uuid.UUID, amount_minor: int, currency: str, return_url: str
    ) -> Checkout: ...

    def parse_webhook(self, payload: bytes, headers: Mapping[str, str]) -> WebhookEvent: ...


class StripeProvider:
    """Stripe Checkout through the official SDK; webhooks verified with the endpoint's signing secret."""

    name = "stripe"
    PAID_EVENTS = ("checkout.session.completed", "checkout.session.async_payment_succeeded")

    def __init__(self, secret_key: str, webhook_secret: str, api_base: str | None = None) -> None:
        import stripe

        self._stripe = stripe
        addresses = {"api": api_base} if api_base else {}
        self._client = stripe.StripeClient(secret_key, base_addresses=addresses)  # type: ignore[arg-type]
        self._webhook_secret = webhook_secret

    def create_checkout(
        self, *, payment_id: uuid.UUID, tenant_id: uuid.UUID, amount_minor: int, currency: str, return_url: str
    ) -> Checkout:
        session = self._client.v1.checkout.sessions.create(
            params={
                "mode": "payment",
                "line_items": [{"quantity": 1, "price_data": {
                    "currency": currency.lower(), "unit_amount": amount_minor,
                    "product_data": {"name": "ChatAI balance top-up"}}}],
                "success_url": f"{return_url}?payment=success",
                "cancel_url": f"{return_url}?payment=cancelled",
                "client_reference_id": str(payment_id),
                "metadata": {"tenant_id": str(tenant_id), "payment_id": str(payment_id)},
            }  # type: ignore[typeddict-item]
        )  # fmt: skip
        return Checkout(session.id, session.url or "")

    def parse_webhook(self, payload: bytes, headers: Mapping[str, str]) -> WebhookEvent:
        signature = headers.get("stripe-signature")
        if not signature:
            raise PaymentWebhookRejected("The Stripe-Signature header is missing")
        try:
            event = self._client.construct_event(payload, signature, self._webhook_secret)
        except self._stripe.SignatureVerificationError as exc:
            raise PaymentWebhookRejected("The Stripe signature does not match this webhook's secret") from exc
        except ValueError as exc:
            raise PaymentWebhookRejected("The webhook body is not a Stripe event") from exc
        data: dict[str, Any] = event.data.object.to_dict()
        if event.type not in self.PAID_EVENTS:
            return WebhookEvent(event.id, event.type, None, False, 0, "")
        return WebhookEvent(event.id, event.type, data.get("id"), data.get("payment_status") == "paid",
                            int(data.get("amount_total") or 0), str(data.get("currency") or "").upper())  # fmt: skip


def configured_provider() -> PaymentProvider | None:
    settings = get_settings()
    if settings.stripe_secret_key and settings.stripe_webhook_secret:
        return StripeProvider(settings.stripe_secret_key, settings.stripe_webhook_secret, settings.stripe_api_base)
    return None


async def start_topup(
    *, provider: PaymentProvider | None, tenant_id: uuid.UUID, user_id: uuid.UUID, amount_minor: int, return_url: str
) -> Payment:
    """A checkout at the provider for `amount_minor`; the balance grows when the provider confirms payment."""
    if provider is None:
        raise PaymentsNotConfigured()
    if not MIN_TOPUP_MINOR <= amount_minor <= MAX_TOPUP_MINOR:
        low, high = MIN_TOPUP_MINOR // 100, MAX_TOPUP_MINOR // 100
        raise ValidationFailed({"amount": f"Top up from {low} to {high:,} in whole units"})
    async with session_scope() as session:
        await account_links.require_verified(session=session, user_id=user_id)  # issue 14: a confirmed address
        currency = str(await billing.get_setting(session=session, key="pricing.currency"))
    payment_id = uuid.uuid4()
    checkout = await asyncio.to_thread(
        provider.create_checkout, payment_id=payment_id, tenant_id=tenant_id, amount_minor=amount_minor,
        currency=currency, return_url=return_url,
    )  # fmt: skip
    async with session_scope() as session:
        payment = Payment(
            id=payment_id, tenant_id=tenant_id, provider=provider.name, amount_minor=amount_minor,
            provider_payment_id=checkout.provider_payment_id, currency=currency, status="pending",
            checkout_url=checkout.url, created_by_id=user_id,
        )  # fmt: skip
        session.add(payment)
    return payment


def _received_amount(session: AsyncSession, payment: Payment, event: WebhookEvent) -> int | None:
    """What the provider says it received, in the payment's currency; None (payment held, the tenant and
    admins notified) when the currency differs or nothing was received."""
    meta = {"payment_id": str(payment.id), "asked_minor": payment.amount_minor, "asked_currency": payment.currency,
            "received_minor": event.amount_minor, "received_currency": event.currency}  # fmt: skip
    if event.currency.upper() != payment.currency.upper() or event.amount_minor <= 0:
        log.warning("payment %s refused: %s", payment.id, meta)
        payment.status, payment.updated_at = "mismatch", utcnow()
        session.add(payment)
        session.add(AuditLog(tenant_id=payment.tenant_id, action="billing.payment_mismatch", target_type="payment",
                             target_id=str(payment.id), meta=meta))  # fmt: skip
        return None
    if event.amount_minor != payment.amount_minor:
        log.warning("payment %s: credited what the provider received, not what was asked: %s", payment.id, meta)
        session.add(AuditLog(tenant_id=payment.tenant_id, action="billing.payment_amount_differs",
                             target_type="payment", target_id=str(payment.id), meta=meta))  # fmt: skip
    return event.amount_minor


async def handle_webhook(*, provider: PaymentProvider | None, payload: bytes, headers: Mapping[str, str]) -> str:
    """processed | duplicate | ignored. Signature first; then each event id is handled at most once."""
    if provider is None:
        raise PaymentsNotConfigured()
    event = provider.parse_webhook(payload, headers)
    async with session_scope() as session:
        recorded = (
            await session.exec(
                insert(PaymentEvent)
                .values(provider=provider.name, event_id=event.event_id, type=event.type)
                .on_conflict_do_nothing(constraint="uq_payment_events_provider_event")
                .returning(PaymentEvent.id)
            )
        ).scalar_one_or_none()
        if recorded is None:
            return "duplicate"
        if not event.paid or event.provider_payment_id is None:
            return "ignored"
        payment = (
            await session.exec(
                select(Payment)
                .where(Payment.provider == provider.name, Payment.provider_payment_id == event.provider_payment_id)
                .with_for_update()
            )
        ).first()
        if payment is None:
            log.warning("%s webhook for an unknown payment %s", provider.name, event.provider_payment_id)
            return "ignored"
        await session.exec(
            PaymentEvent.__table__.update().where(PaymentEvent.id == recorded).values(payment_id=payment.id)  # type: ignore[attr-defined]
        )
        if payment.status == "succeeded":
            return "duplicate"
        received = _received_amount(session, payment, event)
        if received is None:
            return "refused"
        key = f"payment:{provider.name}:{payment.provider_payment_id}"
        entry = await billing.credit(
            session=session, tenant_id=payment.tenant_id, amount=received, kind="topup",
            idempotency_key=key, reference=f"Top-up via {provider.name}", meta={"payment_id": str(payment.id)},
        )  # fmt: skip
        payment.status, payment.balance_transaction_id, payment.updated_at = "succeeded", entry.transaction_id, utcnow()
        session.add(payment)
        await promo.apply_percent_bonus(
            session=session, tenant_id=payment.tenant_id, paid_minor=received, payment_key=key
        )
    return "processed"
