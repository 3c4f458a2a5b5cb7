"""Which bots this fleet serves."""

from __future__ import annotations

from chatai_app.db import session_scope
from chatai_app.services.bots import count_enabled_bots as _count


async def count_enabled_bots() -> int:
    async with session_scope() as session:
        return await _count(session=session)
