"""Dialogs, their messages, handoff audit and operator presence."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel

from chatai_app.models._base import bigint_pk, created_at, fk, jsonb, jsonb_list, tenant_fk, text, timestamp, uuid_pk


class DialogStatus(StrEnum):
    ai = "ai"
    waiting = "waiting"
    operator = "operator"
    closed = "closed"


class Dialog(SQLModel, table=True):
    __tablename__ = "dialogs"
    __table_args__ = (
        sa.UniqueConstraint("tenant_id", "channel", "external_chat_id", "assistant_id", name="uq_dialogs_channel_chat"),
        sa.Index("ix_dialogs_queue", "tenant_id", "status", sa.text("priority DESC"), "handoff_requested_at"),
        sa.Index("ix_dialogs_tenant_recent", "tenant_id", sa.text("last_message_at DESC")),
        sa.Index("ix_dialogs_assistant", "assistant_id"),
    )

    id: uuid.UUID = uuid_pk()
    tenant_id: uuid.UUID = tenant_fk()
    assistant_id: uuid.UUID = fk("assistants.id")
    bot_instance_id: uuid.UUID | None = fk("bot_instances.id", nullable=True, ondelete="SET NULL")
    channel: str = Field(max_length=16)
    external_chat_id: str = Field(max_length=128)
    end_user_name: str = Field(default="", max_length=200)
    end_user_contact: str = Field(default="", max_length=200)
    status: str = Field(default=DialogStatus.ai, max_length=16)
    priority: int = 0
    assigned_operator_id: uuid.UUID | None = fk("users.id", nullable=True, ondelete="SET NULL")
    handoff_requested_at: datetime | None = timestamp()
    last_message_at: datetime | None = timestamp()
    unread_count: int = 0
    last_error: str = text()
    meta: dict[str, Any] = jsonb()
    created_at: datetime = created_at()


class DialogMessage(SQLModel, table=True):
    __tablename__ = "dialog_messages"
    __table_args__ = (
        sa.Index("ix_dialog_messages_dialog", "dialog_id", "id"),
        sa.Index("ix_dialog_messages_tenant_created", "tenant_id", "created_at"),
        sa.Index("ix_dialog_messages_created_brin", "created_at", postgresql_using="brin"),  # monitoring (0014)
        sa.Index(
            "uq_dialog_messages_channel_id",
            "dialog_id",
            "channel_message_id",
            unique=True,
            postgresql_where=sa.text("channel_message_id IS NOT NULL"),
        ),
    )

    id: int | None = bigint_pk()
    tenant_id: uuid.UUID = tenant_fk()
    dialog_id: uuid.UUID = fk("dialogs.id")
    role: str = Field(max_length=16)
    content: str = text()
    channel_message_id: str | None = Field(default=None, max_length=128)
    author_user_id: uuid.UUID | None = fk("users.id", nullable=True, ondelete="SET NULL")
    status: str = Field(default="ok", max_length=16)
    sources: list[dict[str, Any]] = jsonb_list()
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_minor: int = 0
    created_at: datetime = created_at()
    # a reply's stage times (services/tracing.py), written with the reply itself; NULL before migration 0014
    trace: dict[str, Any] | None = Field(default=None, sa_column=sa.Column(JSONB, nullable=True))


class HandoffAudit(SQLModel, table=True):
    __tablename__ = "handoff_audit"
    __table_args__ = (sa.Index("ix_handoff_audit_dialog", "tenant_id", "dialog_id", "created_at"),)

    id: int | None = bigint_pk()
    tenant_id: uuid.UUID = tenant_fk()
    dialog_id: uuid.UUID = fk("dialogs.id")
    action: str = Field(max_length=24)
    reason: str = Field(default="", max_length=64)
    actor_user_id: uuid.UUID | None = fk("users.id", nullable=True, ondelete="SET NULL")
    details: dict[str, Any] = jsonb()
    created_at: datetime = created_at()


class OperatorPresence(SQLModel, table=True):
    __tablename__ = "operator_presence"

    tenant_id: uuid.UUID = Field(
        sa_column=sa.Column(sa.Uuid, sa.ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True)
    )
    user_id: uuid.UUID = Field(
        sa_column=sa.Column(sa.Uuid, sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    )
    status: str = Field(default="offline", max_length=16)
    last_seen_at: datetime = created_at()


class CannedReply(SQLModel, table=True):
    """A workspace's saved answer that operators insert with one click."""

    __tablename__ = "canned_replies"
    __table_args__ = (sa.Index("ix_canned_replies_tenant", "tenant_id", "title"),)

    id: uuid.UUID = uuid_pk()
    tenant_id: uuid.UUID = tenant_fk()
    title: str = Field(max_length=80)
    content: str = text()
    created_at: datetime = created_at()
