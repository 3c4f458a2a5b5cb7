"""Platform settings kept in `system_settings` (pricing, bonuses, behaviours), with defaults."""

from __future__ import annotations

from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from chatai_app.models import SystemSetting

DEFAULTS: dict[str, Any] = {
    "pricing.message_minor": 100,
    "pricing.widget_message_minor": 100,
    "pricing.currency": "RUB",
    "billing.welcome_bonus_minor": 10000,
    "billing.zero_balance_behaviour": "stop",
    "pricing.per_1k_tokens_minor": {},  # model -> price per 1,000 tokens, on top of the message price
    "billing.low_balance_thresholds_minor": [10000, 1000],
}


async def get_setting(*, session: AsyncSession, key: str) -> Any:
    row = await session.get(SystemSetting, key)
    return row.value if row is not None else DEFAULTS.get(key)


PRICING_KEYS = (
    "pricing.message_minor", "pricing.widget_message_minor", "pricing.per_1k_tokens_minor",
    "billing.welcome_bonus_minor", "billing.zero_balance_behaviour", "billing.low_balance_thresholds_minor",
)  # fmt: skip


async def pricing(*, session: AsyncSession) -> dict[str, Any]:
    return {key: await get_setting(session=session, key=key) for key in PRICING_KEYS}


def _pricing_errors(changes: dict[str, Any]) -> dict[str, str]:
    def amount(v: Any) -> bool:
        return isinstance(v, int) and not isinstance(v, bool) and 0 <= v <= 10**8

    checks = {
        "pricing.message_minor": (amount, "a price in minor units, 0 to 100000000"),
        "pricing.widget_message_minor": (amount, "a price in minor units, 0 to 100000000"),
        "billing.welcome_bonus_minor": (amount, "an amount in minor units, 0 to 100000000"),
        "pricing.per_1k_tokens_minor": (
            lambda v: isinstance(v, dict) and all(isinstance(k, str) and amount(x) for k, x in v.items()),
            "an object: model name -> price per 1,000 tokens in minor units",
        ),
        "billing.zero_balance_behaviour": (lambda v: v in ("stop", "handoff"), "stop or handoff"),
        "billing.low_balance_thresholds_minor": (
            lambda v: isinstance(v, list) and len(v) <= 5 and all(amount(x) for x in v),
            "up to 5 amounts in minor units",
        ),
    }
    errors = {k: "not a pricing setting" for k in changes if k not in checks}
    errors |= {k: checks[k][1] for k, v in changes.items() if k in checks and not checks[k][0](v)}
    return errors


async def set_pricing(*, session: AsyncSession, changes: dict[str, Any], actor: Any = None) -> None:
    """Admins change prices and billing behaviour; validated, applied to the next message, audited one row per
    changed setting with its previous value (the same path as the System settings page)."""
    from chatai_app.services import system_settings
    from chatai_app.services.errors import ValidationFailed

    if not changes:
        raise ValidationFailed({"settings": "Nothing to change"})
    if errors := _pricing_errors(changes):
        raise ValidationFailed(errors)
    await system_settings.change(session=session, changes=changes, actor=actor)
