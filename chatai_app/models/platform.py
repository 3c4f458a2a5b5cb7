"""Platform-wide tables: settings, provider keys, audit log, start page analytics."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel

from chatai_app.models._base import bigint_pk, created_at, fk, jsonb, timestamp, uuid_pk


class SystemSetting(SQLModel, table=True):
    """Key/value platform settings (pricing, welcome bonus, ...)."""

    __tablename__ = "system_settings"

    key: str = Field(primary_key=True, max_length=120)
    value: Any = Field(default=None, sa_column=sa.Column(JSONB, nullable=False))
    updated_at: datetime | None = timestamp()
    updated_by_id: uuid.UUID | None = fk("users.id", nullable=True, ondelete="SET NULL")


class ProviderKey(SQLModel, table=True):
    """An AI provider key in the admin pool (tenant_id NULL) or a tenant's own."""

    __tablename__ = "provider_keys"
    __table_args__ = (sa.Index("ix_provider_keys_tenant", "tenant_id"),)

    id: uuid.UUID = uuid_pk()
    tenant_id: uuid.UUID | None = fk("tenants.id", nullable=True)
    provider: str = Field(max_length=40)
    base_url: str = Field(default="", max_length=300)
    api_key_encrypted: str = Field(sa_type=sa.Text)
    key_hint: str = Field(default="", max_length=32)
    models: list[str] = Field(
        default_factory=list, sa_column=sa.Column(JSONB, nullable=False, server_default=sa.text("'[]'::jsonb"))
    )
    requests_per_minute: int | None = None
    monthly_token_limit: int | None = Field(default=None, sa_column=sa.Column(sa.BigInteger, nullable=True))
    enabled: bool = True
    created_at: datetime = created_at()
    # issue 14, the key pool (migration 0010; usage per day in models/key_pool.py)
    priority: int = Field(default=100, sa_column=sa.Column(sa.Integer, nullable=False, server_default="100"))
    daily_request_limit: int | None = None
    daily_token_limit: int | None = Field(default=None, sa_column=sa.Column(sa.BigInteger, nullable=True))
    cooldown_until: datetime | None = timestamp()
    parked_at: datetime | None = timestamp()
    parked_reason: str = Field(default="", max_length=300)
    auth_failures: int = Field(default=0, sa_column=sa.Column(sa.Integer, nullable=False, server_default="0"))
    last_error: str = Field(default="", max_length=500)
    last_error_at: datetime | None = timestamp()
    last_used_at: datetime | None = timestamp()


class AuditLog(SQLModel, table=True):
    __tablename__ = "audit_log"
    __table_args__ = (
        sa.Index("ix_audit_log_tenant_created", "tenant_id", "created_at"),
        sa.Index("ix_audit_log_created", "created_at"),
    )

    id: int | None = bigint_pk()
    tenant_id: uuid.UUID | None = fk("tenants.id", nullable=True, ondelete="SET NULL")
    actor_user_id: uuid.UUID | None = fk("users.id", nullable=True, ondelete="SET NULL")
    action: str = Field(max_length=64)
    target_type: str = Field(default="", max_length=40)
    target_id: str = Field(default="", max_length=64)
    ip: str = Field(default="", max_length=64)
    meta: dict[str, Any] = jsonb()
    created_at: datetime = created_at()


class StartPageEvent(SQLModel, table=True):
    """Events from the public start page and widget loads (visits, sign-up clicks)."""

    __tablename__ = "start_page_events"
    __table_args__ = (
        sa.Index("ix_start_page_events_created", "created_at"),
        sa.Index("ix_start_page_events_event_created", "event", "created_at"),  # the funnel (0012)
    )

    id: int | None = bigint_pk()
    tenant_id: uuid.UUID | None = fk("tenants.id", nullable=True)
    event: str = Field(max_length=64)
    path: str = Field(default="", max_length=300)
    visitor_id: str = Field(default="", max_length=64)
    meta: dict[str, Any] = jsonb()
    created_at: datetime = created_at()
