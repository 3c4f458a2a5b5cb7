"""Team invitations, one-time account links, two-factor recovery codes, the e-mail outbox and the log ring
(issue 14)."""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from chatai_app.models._base import bigint_pk, created_at, fk, tenant_fk, text, timestamp, uuid_pk


class Invitation(SQLModel, table=True):
    """An invitation to a workspace; the link's token is signed and only its hash is kept (single use)."""

    __tablename__ = "invitations"
    __table_args__ = (sa.Index("ix_invitations_tenant", "tenant_id", "created_at"),)

    id: uuid.UUID = uuid_pk()
    tenant_id: uuid.UUID = tenant_fk()
    email: str = Field(max_length=254)
    role: str = Field(max_length=16)
    token_hash: str = Field(max_length=64)
    invited_by_id: uuid.UUID | None = fk("users.id", nullable=True, ondelete="SET NULL")
    created_at: datetime = created_at()
    expires_at: datetime = Field(sa_column=sa.Column(sa.DateTime(timezone=True), nullable=False))
    last_sent_at: datetime | None = timestamp()
    sent_count: int = 1
    accepted_at: datetime | None = timestamp()
    accepted_user_id: uuid.UUID | None = fk("users.id", nullable=True, ondelete="SET NULL")
    revoked_at: datetime | None = timestamp()


class AccountToken(SQLModel, table=True):
    """A one-time link for one account: password reset or e-mail verification (hash of the signed token)."""

    __tablename__ = "account_tokens"
    __table_args__ = (sa.Index("ix_account_tokens_user", "user_id", "purpose"),)

    id: uuid.UUID = uuid_pk()
    user_id: uuid.UUID = fk("users.id")
    purpose: str = Field(max_length=24)
    token_hash: str = Field(max_length=64)
    created_at: datetime = created_at()
    expires_at: datetime = Field(sa_column=sa.Column(sa.DateTime(timezone=True), nullable=False))
    used_at: datetime | None = timestamp()


class RecoveryCode(SQLModel, table=True):
    """One of a user's ten one-time two-factor recovery codes (argon2-free: 50 random bits, SHA-256 is enough)."""

    __tablename__ = "recovery_codes"
    __table_args__ = (sa.Index("ix_recovery_codes_user", "user_id"),)

    id: uuid.UUID = uuid_pk()
    user_id: uuid.UUID = fk("users.id")
    code_hash: str = Field(max_length=64)
    created_at: datetime = created_at()
    used_at: datetime | None = timestamp()


class EmailMessage(SQLModel, table=True):
    """Every e-mail the platform sends: `pending` until SMTP accepts it, `held` when no SMTP is configured
    (platform admins read it in the console), `failed` after the last attempt."""

    __tablename__ = "email_outbox"
    __table_args__ = (
        sa.Index("ix_email_outbox_tenant", "tenant_id", "created_at"),
        sa.Index("ix_email_outbox_status", "status", "id"),
    )

    id: int | None = bigint_pk()
    tenant_id: uuid.UUID | None = fk("tenants.id", nullable=True, ondelete="SET NULL")
    to_address: str = Field(max_length=254)
    subject: str = Field(max_length=300)
    body_text: str = text()
    body_html: str = text()
    kind: str = Field(default="", max_length=32)
    status: str = Field(default="pending", max_length=16)
    attempts: int = 0
    last_error: str = text()
    created_at: datetime = created_at()
    sent_at: datetime | None = timestamp()


class LogRecord(SQLModel, table=True):
    """Recent structured log records of every process (a bounded ring: the oldest are pruned)."""

    __tablename__ = "log_records"
    __table_args__ = (
        sa.Index("ix_log_records_tenant", "tenant_id", "id"),
        sa.Index("ix_log_records_level", "level_no", "id"),
        sa.Index("ix_log_records_dialog", "dialog_id", "id", postgresql_where=sa.text("dialog_id IS NOT NULL")),
    )

    id: int | None = bigint_pk()
    created_at: datetime = created_at()
    level: str = Field(max_length=16)
    level_no: int = 20
    logger: str = Field(default="", max_length=120)
    process: str = Field(default="", max_length=40)
    message: str = text()
    tenant_id: uuid.UUID | None = None
    request_id: str = Field(default="", max_length=32)
    dialog_id: uuid.UUID | None = None  # migration 0014
