"""Column helpers shared by the tables."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field


def utcnow() -> datetime:
    return datetime.now(UTC)


def uuid_pk() -> Any:
    return Field(default_factory=uuid.uuid4, primary_key=True)


def bigint_pk() -> Any:
    return Field(default=None, sa_column=sa.Column(sa.BigInteger, sa.Identity(), primary_key=True))


def created_at() -> Any:
    return Field(
        default_factory=utcnow,
        sa_column=sa.Column(sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    )


def timestamp(nullable: bool = True) -> Any:
    return Field(default=None, sa_column=sa.Column(sa.DateTime(timezone=True), nullable=nullable))


def tenant_fk(nullable: bool = False) -> Any:
    return Field(
        default=None if nullable else ...,
        sa_column=sa.Column(sa.Uuid, sa.ForeignKey("tenants.id", ondelete="CASCADE"), nullable=nullable, index=False),
    )


def fk(target: str, *, nullable: bool = False, ondelete: str = "CASCADE", type_: Any = sa.Uuid) -> Any:
    return Field(
        default=None if nullable else ...,
        sa_column=sa.Column(type_, sa.ForeignKey(target, ondelete=ondelete), nullable=nullable),
    )


def jsonb(default_factory: Any = dict) -> Any:
    return Field(
        default_factory=default_factory,
        sa_column=sa.Column(JSONB, nullable=False, server_default=sa.text("'{}'::jsonb")),
    )


def jsonb_list() -> Any:
    return Field(
        default_factory=list,
        sa_column=sa.Column(JSONB, nullable=False, server_default=sa.text("'[]'::jsonb")),
    )


def text(nullable: bool = False, default: str | None = "") -> Any:
    server_default = None if default is None else sa.text(f"'{default}'")
    return Field(
        default=default,
        sa_column=sa.Column(sa.Text, nullable=nullable, server_default=server_default),
    )
