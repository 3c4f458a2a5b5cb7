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
