"""E-mail: every message is a row in `email_outbox`, written in the caller's transaction.

With `SMTP_URL` set, rows are `pending` and are sent (aiosmtplib) right after that transaction commits, and again
by `deliver_pending` for any that failed or were left behind; without it rows are `held` and platform admins read
them in the console, so the embedded default needs no mail server."""

from __future__ import annotations

import asyncio
import logging
import uuid
from dataclasses import dataclass
from datetime import timedelta
from email.message import EmailMessage as MimeMessage
from email.utils import make_msgid
from typing import Any
from urllib.parse import unquote, urlsplit

import aiosmtplib
import sqlalchemy as sa
from sqlalchemy import event
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from chatai_app.db import session_scope
from chatai_app.models import EmailMessage
from chatai_app.models._base import utcnow
from chatai_app.services import mail_templates
from chatai_app.settings import get_settings

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
SENDING_GRACE = timedelta(minutes=2)  # a row left `sending` by a dead process is tried again after this
_tasks: set[asyncio.Task[Any]] = set()


@dataclass(frozen=True)
class SmtpTarget:
    host: str
    port: int
    username: str | None
    password: str | None
    implicit_tls: bool


def parse_smtp_url(url: str) -> SmtpTarget:
    """smtp://[user:pass@]host[:port] (STARTTLS when the server offers it) or smtps://... (TLS from the start)."""
    parts = urlsplit(url)
    if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
        raise ValueError("SMTP_URL must look like smtp://user:password@host:587 or smtps://user:password@host:465")
    implicit = parts.scheme == "smtps"
    return SmtpTarget(
        host=parts.hostname,
        port=parts.port or (465 if implicit else 587),
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
        implicit_tls=implicit,
    )


def _one_line(text: str) -> str:
    return " ".join((text or "").split())[:300]


async def queue(
    *, session: AsyncSession, to: str, kind: str, lang: str, tenant_id: uuid.UUID | None = None, **params: object
) -> EmailMessage:
    """Render a template and store the e-mail in the caller's transaction; it goes out after the commit."""
    subject, body_text, body_html = mail_templates.render(kind, lang, **params)
    configured = bool(get_settings().smtp_url)
    row = EmailMessage(
        tenant_id=tenant_id,
        to_address=to,
        subject=_one_line(subject),
        body_text=body_text,
        body_html=body_html,
        kind=kind,
        status="pending" if configured else "held",
    )
    session.add(row)
    await session.flush()
    if configured:
        _deliver_after_commit(session)
    return row


def _deliver_after_commit(session: AsyncSession) -> None:
    sync_session = session.sync_session
    if sync_session.info.get("mail_after_commit"):
        return
    sync_session.info["mail_after_commit"] = True

    def committed(committed_session: Any) -> None:
        committed_session.info.pop("mail_after_commit", None)
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # a synchronous caller: the next deliver_pending sends it
            return
        task = loop.create_task(deliver_pending())
        _tasks.add(task)
        task.add_done_callback(_tasks.discard)

    event.listen(sync_session, "after_commit", committed, once=True)


async def drain() -> None:
    """Wait for deliveries started after commits (tests, graceful shutdown)."""
    while _tasks:
        await asyncio.gather(*list(_tasks), return_exceptions=True)


def _mime(row: EmailMessage, sender: str) -> MimeMessage:
    message = MimeMessage()
    message["From"] = sender
    message["To"] = row.to_address
    message["Subject"] = row.subject
    message["Message-ID"] = make_msgid(domain="chatai.local")
    message["X-ChatAI-Kind"] = row.kind
    message.set_content(row.body_text)
    if row.body_html:
        message.add_alternative(row.body_html, subtype="html")
    return message


async def _claim(limit: int) -> list[EmailMessage]:
    """Mark due rows `sending` in a short transaction of their own (no transaction is held over the network)."""
    async with session_scope() as session:
        stmt = (
            select(EmailMessage)
            .where(
                sa.or_(
                    EmailMessage.status == "pending",
                    sa.and_(EmailMessage.status == "sending", EmailMessage.sent_at < utcnow() - SENDING_GRACE),
                )
            )
            .order_by(EmailMessage.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        rows = list((await session.exec(stmt)).all())
        for row in rows:  # sent_at holds the claim time while `sending`
            row.status, row.attempts, row.sent_at = "sending", row.attempts + 1, utcnow()
            session.add(row)
        return rows


async def _finish(row_id: int, error: str | None, attempts: int) -> None:
    async with session_scope() as session:
        values: dict[str, Any]
        if error is None:
            values = {"status": "sent", "sent_at": utcnow(), "last_error": ""}
        else:
            values = {
                "status": "failed" if attempts >= MAX_ATTEMPTS else "pending",
                "last_error": error[:500],
                "sent_at": None,
            }
        await session.exec(sa.update(EmailMessage).where(EmailMessage.id == row_id).values(**values))


async def deliver_pending(limit: int = 50) -> int:
    """Send due `pending` rows through SMTP_URL; returns how many were accepted by the server."""
    settings = get_settings()
    if not settings.smtp_url:
        return 0
    target = parse_smtp_url(settings.smtp_url)
    sent = 0
    for row in await _claim(limit):
        try:
            await aiosmtplib.send(
                _mime(row, settings.mail_from),
                hostname=target.host,
                port=target.port,
                username=target.username,
                password=target.password,
                use_tls=target.implicit_tls,
                start_tls=None if not target.implicit_tls else False,
                timeout=settings.smtp_timeout_s,
            )
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
            log.warning("e-mail %s to %s not sent (attempt %s): %s", row.id, row.to_address, row.attempts, exc)
            await _finish(row.id or 0, str(exc) or type(exc).__name__, row.attempts)
            continue
        await _finish(row.id or 0, None, row.attempts)
        sent += 1
    return sent


@dataclass(frozen=True)
class OutboxItem:
    id: int
    to_address: str
    subject: str
    body_text: str
    kind: str
    status: str
    attempts: int
    last_error: str
    created_at: str
    sent_at: str


async def list_outbox(
    *, session: AsyncSession, status: str = "", query: str = "", limit: int = 100
) -> list[OutboxItem]:
    """The newest e-mails for platform admins (held ones are the only copy when no SMTP is configured)."""
    stmt = select(EmailMessage).order_by(EmailMessage.id.desc()).limit(min(max(limit, 1), 500))  # type: ignore[union-attr]
    if status:
        stmt = stmt.where(EmailMessage.status == status)
    if query.strip():
        pattern = "%" + query.strip().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        stmt = stmt.where(sa.or_(EmailMessage.to_address.ilike(pattern), EmailMessage.subject.ilike(pattern)))  # type: ignore[attr-defined]
    rows = (await session.exec(stmt)).all()
    return [
        OutboxItem(
            r.id or 0,
            r.to_address,
            r.subject,
            r.body_text,
            r.kind,
            r.status,
            r.attempts,
            r.last_error,
            r.created_at.isoformat(timespec="seconds"),
            r.sent_at.isoformat(timespec="seconds") if r.sent_at else "",
        )
        for r in rows
    ]
