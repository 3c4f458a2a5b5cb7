"""Telegram bot registry queries (the fleet itself is a channel adapter in bot_fleet/)."""

from __future__ import annotations

import sqlalchemy as sa
from sqlmodel.ext.asyncio.session import AsyncSession

from chatai_app.models import BotInstance


async def count_enabled_bots(*, session: AsyncSession) -> int:
    stmt = sa.select(sa.func.count()).select_from(BotInstance).where(BotInstance.enabled)
    return (await session.exec(stmt)).scalar_one()
