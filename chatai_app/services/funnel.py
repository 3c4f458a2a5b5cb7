"""The public landing page's events and the sign-up funnel (issue 14).

The landing page and the sign-up page report `landing_visit` and `signup_view` with a random anonymous id the browser
keeps in its local storage (no cookie, no IP address, no user agent is stored); the sign-up form sends the same id
along and a successful sign-up records `account_created` with the new workspace (`record_signup`). The last steps come
from what the product already records: of those workspaces, the ones that created an assistant, and the ones that
uploaded knowledge (a document or a Q&A pair) or had a first message. Each step shows its count and its conversion
from the step before; workspaces created any other way (the API, the command line) are counted beside the funnel.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlmodel.ext.asyncio.session import AsyncSession

from chatai_app.models import StartPageEvent
from chatai_app.services.errors import ValidationFailed

EVENTS = ("landing_visit", "signup_view")
STEPS = ("landing_visit", "signup_view", "account_created", "first_assistant", "first_content")
VISITOR_ID = re.compile(r"^[A-Za-z0-9-]{8,64}$")
LANGUAGES = ("en", "ru")


@dataclass(frozen=True)
class FunnelStep:
    key: str
    count: int
    conversion: float | None  # share of the step before (None for the first step, or when that one is 0)


async def record(*, session: AsyncSession, visitor_id: str, event: str, lang: str = "") -> None:
    """One event from a public page (the caller rate-limits and caps the body)."""
    errors = {}
    if not VISITOR_ID.match(visitor_id or ""):
        errors["visitor_id"] = "A random id of 8 to 64 letters, digits or dashes"
    if event not in EVENTS:
        errors["event"] = f"One of {', '.join(EVENTS)}"
    if errors:
        raise ValidationFailed(errors)
    meta = {"lang": lang} if lang in LANGUAGES else {}
    session.add(StartPageEvent(event=event, visitor_id=visitor_id, path="", meta=meta))


async def record_signup(*, session: AsyncSession, visitor_id: str, tenant_id: uuid.UUID) -> None:
    """The sign-up form created a workspace (in the sign-up's transaction); `visitor_id` links it to the visitor's
    earlier steps when the browser sent a valid one."""
    visitor = visitor_id if VISITOR_ID.match(visitor_id or "") else ""
    session.add(StartPageEvent(event="account_created", visitor_id=visitor, tenant_id=tenant_id, path="", meta={}))


@dataclass(frozen=True)
class FunnelReport:
    steps: list[FunnelStep]
    all_workspaces: int  # every workspace created in the period, whichever way (platform admins' own excluded)


_VISITORS_SQL = sa.text("""
SELECT event, count(DISTINCT visitor_id)
FROM start_page_events
WHERE event IN ('landing_visit', 'signup_view') AND created_at >= :start AND created_at < :end
GROUP BY 1
""")

_ALL_WORKSPACES_SQL = sa.text("""
SELECT count(*) FROM tenants t
WHERE t.created_at >= :start AND t.created_at < :end
  AND NOT EXISTS (SELECT 1 FROM memberships ms JOIN users u ON u.id = ms.user_id
                  WHERE ms.tenant_id = t.id AND ms.role = 'owner' AND u.platform_role = 'admin')
""")

_WORKSPACES_SQL = sa.text("""
WITH signed_up AS (
  SELECT DISTINCT e.tenant_id AS id FROM start_page_events e JOIN tenants t ON t.id = e.tenant_id
  WHERE e.event = 'account_created' AND e.created_at >= :start AND e.created_at < :end
)
SELECT count(*),
       count(*) FILTER (WHERE EXISTS (SELECT 1 FROM assistants a WHERE a.tenant_id = s.id)),
       count(*) FILTER (WHERE EXISTS (SELECT 1 FROM documents d WHERE d.tenant_id = s.id)
                           OR EXISTS (SELECT 1 FROM qa_knowledge q WHERE q.tenant_id = s.id)
                           OR EXISTS (SELECT 1 FROM dialog_messages m WHERE m.tenant_id = s.id))
FROM signed_up s
""")


async def report(*, session: AsyncSession, start: datetime, end: datetime) -> FunnelReport:
    """The funnel over [start, end): counts per step and the conversion from the step before."""
    bounds = {"start": start, "end": end}
    visitors = dict((await session.exec(_VISITORS_SQL.bindparams(**bounds))).all())  # type: ignore[call-overload]
    created, with_assistant, with_content = (await session.exec(_WORKSPACES_SQL.bindparams(**bounds))).one()  # type: ignore[call-overload]
    counts = [visitors.get("landing_visit", 0), visitors.get("signup_view", 0), created, with_assistant, with_content]
    steps, previous = [], None
    for key, count in zip(STEPS, counts, strict=True):
        conversion = count / previous if previous else None
        steps.append(FunnelStep(key, int(count), conversion))
        previous = count
    everything = (await session.exec(_ALL_WORKSPACES_SQL.bindparams(**bounds))).one()  # type: ignore[call-overload]
    return FunnelReport(steps, int(everything[0]))
