"""Answer feedback (issue 14): one thumbs up or down per assistant answer, changeable, from the widget or Telegram."""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from chatai_app.models._base import bigint_pk, created_at, fk, tenant_fk, text, timestamp


class AnswerFeedback(SQLModel, table=True):
    """The end user's vote on one assistant answer: `rating` is 1 (up) or -1 (down); voting again changes it."""

    __tablename__ = "answer_feedback"
    __table_args__ = (
        sa.UniqueConstraint("message_id", name="uq_answer_feedback_message"),
        sa.CheckConstraint("rating IN (-1, 1)", name="ck_answer_feedback_rating"),
        sa.Index("ix_answer_feedback_tenant_created", "tenant_id", "created_at"),
        sa.Index("ix_answer_feedback_dialog", "dialog_id"),
    )

    id: int | None = bigint_pk()
    tenant_id: uuid.UUID = tenant_fk()
    assistant_id: uuid.UUID = fk("assistants.id")
    dialog_id: uuid.UUID = fk("dialogs.id")
    message_id: int = fk("dialog_messages.id", type_=sa.BigInteger)
    rating: int = Field(sa_column=sa.Column(sa.SmallInteger, nullable=False))
    comment: str = text()
    channel: str = Field(max_length=16)
    voter: str = Field(default="", max_length=128)  # the widget visitor's id, or "tg:<Telegram user id>"
    created_at: datetime = created_at()
    updated_at: datetime | None = timestamp()
