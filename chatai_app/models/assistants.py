"""Assistants and the Telegram bots that serve them."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from chatai_app.models._base import created_at, fk, jsonb, jsonb_list, tenant_fk, text, timestamp, uuid_pk


class Assistant(SQLModel, table=True):
    __tablename__ = "assistants"
    __table_args__ = (sa.Index("ix_assistants_tenant", "tenant_id", "created_at"),)

    id: uuid.UUID = uuid_pk()
    tenant_id: uuid.UUID = tenant_fk()
    name: str = Field(max_length=120)
    system_prompt: str = text()
    tone: str = Field(default="friendly", max_length=40)
    language: str = Field(default="auto", max_length=8)
    provider: str = Field(default="offline", max_length=40)
    model: str = Field(default="offline-extractive", max_length=120)
    temperature: Decimal = Field(default=Decimal("0.3"), max_digits=3, decimal_places=2)
    max_tokens: int = 800
    knowledge_enabled: bool = True
    citations_enabled: bool = True
    greeting: str = text()
    embedding_model: str = Field(default="", max_length=120)
    # how sure the retrieved knowledge must be before the offline answerer quotes it: strict | balanced | lenient
    strictness: str = Field(
        default="balanced", sa_column=sa.Column(sa.String(12), nullable=False, server_default="balanced")
    )
    handoff_keywords: list[str] = jsonb_list()
    handoff_settings: dict[str, Any] = jsonb()
    widget_settings: dict[str, Any] = jsonb()
    is_active: bool = True
    created_at: datetime = created_at()
    updated_at: datetime | None = timestamp()


class BotInstance(SQLModel, table=True):
    """A tenant's Telegram bot; the token is stored encrypted, never in clear."""

    __tablename__ = "bot_instances"
    __table_args__ = (
        sa.Index("ix_bot_instances_tenant", "tenant_id"),
        sa.Index("ix_bot_instances_enabled", "enabled"),
    )

    id: uuid.UUID = uuid_pk()
    tenant_id: uuid.UUID = tenant_fk()
    assistant_id: uuid.UUID = fk("assistants.id")
    telegram_bot_id: int = Field(sa_column=sa.Column(sa.BigInteger, nullable=False, unique=True))
    username: str = Field(default="", max_length=64)
    token_encrypted: str = Field(sa_type=sa.Text)
    token_hint: str = Field(default="", max_length=32)
    mode: str = Field(default="polling", max_length=8)
    webhook_secret_hash: str = Field(default="", max_length=64)
    enabled: bool = True
    status: str = Field(default="stopped", max_length=16)
    last_error: str = text()
    last_update_at: datetime | None = timestamp()
    update_offset: int = Field(default=0, sa_column=sa.Column(sa.BigInteger, nullable=False, server_default="0"))
    created_at: datetime = created_at()


class TelegramUpdate(SQLModel, table=True):
    """Received Telegram updates: dedupe by (bot, update_id) for exactly-once handling."""

    __tablename__ = "telegram_updates"

    bot_instance_id: uuid.UUID = Field(
        sa_column=sa.Column(sa.Uuid, sa.ForeignKey("bot_instances.id", ondelete="CASCADE"), primary_key=True)
    )
    update_id: int = Field(sa_column=sa.Column(sa.BigInteger, primary_key=True))
    tenant_id: uuid.UUID = tenant_fk()
    received_at: datetime = created_at()
    processed_at: datetime | None = timestamp()


class OutboxMessage(SQLModel, table=True):
    """Messages waiting to be delivered to a channel, in per-chat order."""

    __tablename__ = "outbox_messages"
    __table_args__ = (
        sa.Index("ix_outbox_pending", "bot_instance_id", "chat_id", "id", postgresql_where=sa.text("sent_at IS NULL")),
        sa.Index(
            "uq_outbox_message_part",
            "bot_instance_id",
            "dialog_message_id",
            "part",
            unique=True,
            postgresql_where=sa.text("dialog_message_id IS NOT NULL"),
        ),
    )

    id: int | None = Field(default=None, sa_column=sa.Column(sa.BigInteger, sa.Identity(), primary_key=True))
    tenant_id: uuid.UUID = tenant_fk()
    bot_instance_id: uuid.UUID = fk("bot_instances.id")
    chat_id: int = Field(sa_column=sa.Column(sa.BigInteger, nullable=False))
    dialog_message_id: int | None = Field(default=None, sa_column=sa.Column(sa.BigInteger, nullable=True))
    part: int = Field(default=0, sa_column=sa.Column(sa.Integer, nullable=False, server_default="0"))
    failed_at: datetime | None = timestamp()
    payload: dict[str, Any] = jsonb()
    attempts: int = 0
    not_before: datetime | None = timestamp()
    last_error: str = text()
    sending_at: datetime | None = timestamp()  # set just before the call to Telegram (see telegram.SENDING_GRACE_S)
    sent_at: datetime | None = timestamp()
    telegram_message_id: int | None = Field(default=None, sa_column=sa.Column(sa.BigInteger, nullable=True))
    created_at: datetime = created_at()
