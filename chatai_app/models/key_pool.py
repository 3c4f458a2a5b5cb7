"""Provider key pool usage (issue 14): one row per key per UTC day."""

from __future__ import annotations

import uuid
from datetime import date

import sqlalchemy as sa
from sqlmodel import Field, SQLModel


def _count(big: bool = False) -> object:
    return Field(
        default=0, sa_column=sa.Column(sa.BigInteger if big else sa.Integer, nullable=False, server_default="0")
    )


class ProviderKeyUsage(SQLModel, table=True):
    """Requests (counted when a key is picked, so concurrent turns share the daily limit), tokens from the provider's
    usage, errors and 429s of one key on one day."""

    __tablename__ = "provider_key_usage"

    key_id: uuid.UUID = Field(
        sa_column=sa.Column(sa.Uuid, sa.ForeignKey("provider_keys.id", ondelete="CASCADE"), primary_key=True)
    )
    day: date = Field(sa_column=sa.Column(sa.Date, primary_key=True))
    requests: int = _count()
    prompt_tokens: int = _count(big=True)
    completion_tokens: int = _count(big=True)
    errors: int = _count()
    rate_limited: int = _count()
