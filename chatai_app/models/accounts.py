"""Users, tenants (workspaces), memberships and authentication sessions."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlmodel import Field, SQLModel

from chatai_app.models._base import created_at, fk, tenant_fk, timestamp, uuid_pk


class PlatformRole(StrEnum):
    admin = "admin"
    user = "user"


class TenantRole(StrEnum):
    owner = "owner"
    admin = "admin"
    operator = "operator"


class User(SQLModel, table=True):
    __tablename__ = "users"
    __table_args__ = (sa.Index("uq_users_email_lower", sa.text("lower(email)"), unique=True),)

    id: uuid.UUID = uuid_pk()
    email: str = Field(max_length=254)
    password_hash: str = Field(sa_type=sa.Text)
    full_name: str = Field(default="", max_length=200)
    platform_role: str = Field(default=PlatformRole.user, max_length=16)
    locale: str = Field(default="en", max_length=8)
    is_active: bool = True
    created_at: datetime = created_at()
    last_login_at: datetime | None = timestamp()
    # issue 14: verified address, two-factor (TOTP secret encrypted at rest, last accepted time step), blocking
    email_verified_at: datetime | None = timestamp()
    totp_secret: str | None = Field(default=None, sa_type=sa.Text)
    totp_enabled_at: datetime | None = timestamp()
    totp_last_step: int | None = Field(default=None, sa_column=sa.Column(sa.BigInteger, nullable=True))
    blocked_at: datetime | None = timestamp()
    blocked_reason: str = Field(default="", max_length=300)


class Tenant(SQLModel, table=True):
    __tablename__ = "tenants"

    id: uuid.UUID = uuid_pk()
    name: str = Field(max_length=200)
    slug: str = Field(max_length=80, unique=True)
    plan_code: str = Field(default="free", max_length=40)
    balance_minor: int = Field(default=0, sa_column=sa.Column(sa.BigInteger, nullable=False, server_default="0"))
    currency: str = Field(default="RUB", max_length=3)
    created_at: datetime = created_at()
    blocked_at: datetime | None = timestamp()  # issue 14: its bots and widget answer with a notice
    blocked_reason: str = Field(default="", max_length=300)


class Membership(SQLModel, table=True):
    __tablename__ = "memberships"
    __table_args__ = (
        sa.UniqueConstraint("tenant_id", "user_id", name="uq_memberships_tenant_user"),
        sa.Index("ix_memberships_user", "user_id"),
    )

    id: uuid.UUID = uuid_pk()
    tenant_id: uuid.UUID = tenant_fk()
    user_id: uuid.UUID = fk("users.id")
    role: str = Field(default=TenantRole.owner, max_length=16)
    created_at: datetime = created_at()
    # an operator's assistants (issue 14): NULL sees every assistant of the workspace; owners and admins always do
    assistant_ids: list[uuid.UUID] | None = Field(
        default=None, sa_column=sa.Column(postgresql.ARRAY(sa.Uuid()), nullable=True)
    )


class AuthSession(SQLModel, table=True):
    """A refresh token (API) or a browser session; only the token's hash is stored."""

    __tablename__ = "auth_sessions"
    __table_args__ = (
        sa.Index("ix_auth_sessions_user", "user_id"),
        sa.Index("ix_auth_sessions_family", "family_id"),
    )

    id: uuid.UUID = uuid_pk()
    user_id: uuid.UUID = fk("users.id")
    tenant_id: uuid.UUID = tenant_fk()
    token_hash: str = Field(max_length=64, unique=True)
    family_id: uuid.UUID
    kind: str = Field(default="api", max_length=8)
    created_at: datetime = created_at()
    expires_at: datetime = Field(sa_column=sa.Column(sa.DateTime(timezone=True), nullable=False))
    revoked_at: datetime | None = timestamp()
    replaced_by_id: uuid.UUID | None = None
    user_agent: str = Field(default="", max_length=400)
    ip: str = Field(default="", max_length=64)


class RateLimitBucket(SQLModel, table=True):
    """Fixed-window counters for rate limits when Redis is not configured."""

    __tablename__ = "rate_limit_buckets"

    key: str = Field(primary_key=True, max_length=200)
    window_start: datetime = Field(sa_column=sa.Column(sa.DateTime(timezone=True), primary_key=True, nullable=False))
    hits: int = 0
