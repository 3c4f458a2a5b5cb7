"""Analytics (issue 14): the workspace dashboard's figures, the landing page's public event endpoint and the platform
admins' sign-up funnel."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel, Field, ValidationError

from chatai_app.api.deps import BillingReader, Client, DbSession, PlatformAdmin, public
from chatai_app.api.web_security import BodyTooLarge
from chatai_app.services import analytics, funnel, ratelimit
from chatai_app.services.errors import ValidationFailed

router = APIRouter(tags=["analytics"])

EVENT_BODY_LIMIT = 1024  # bytes: an event is an id, a kind and a language
EVENTS_PER_IP_PER_MINUTE = 30
EVENTS_PER_VISITOR_PER_MINUTE = 10


class FunnelEventIn(BaseModel):
    visitor_id: str = Field(max_length=64)
    event: str = Field(max_length=32)
    lang: str = Field(default="", max_length=8)


async def _small_body(request: Request, limit: int) -> bytes:
    """The body, refused (413) as soon as it grows past `limit`."""
    if int(request.headers.get("content-length") or 0) > limit:
        raise BodyTooLarge(limit)
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise BodyTooLarge(limit)
    return body


@router.post(
    "/api/v1/funnel/events",
    status_code=204,
    dependencies=[public("the public landing page's visit and sign-up view events: an anonymous id, rate-limited")],
)
async def record_funnel_event(request: Request, client: Client, session: DbSession) -> Response:
    body = await _small_body(request, EVENT_BODY_LIMIT)
    limiter = ratelimit.default_limiter()
    await ratelimit.enforce_each(limiter, {f"funnel:ip:{client.ip}": EVENTS_PER_IP_PER_MINUTE})
    try:
        event = FunnelEventIn.model_validate_json(body or b"{}")
    except ValidationError as exc:
        raise ValidationFailed({str(e["loc"][0]) if e["loc"] else "body": e["msg"] for e in exc.errors()}) from exc
    await ratelimit.enforce_each(limiter, {f"funnel:visitor:{event.visitor_id}": EVENTS_PER_VISITOR_PER_MINUTE})
    await funnel.record(session=session, visitor_id=event.visitor_id, event=event.event, lang=event.lang)
    return Response(status_code=204)


def _window(days: int | None, first: date | None, last: date | None, tz: str = "UTC") -> analytics.Period:
    return analytics.period(days=days, first=first, last=last, tz=tz)


Days = Annotated[int | None, Query(ge=1, le=analytics.MAX_DAYS)]
First = Annotated[date | None, Query(alias="from")]
Last = Annotated[date | None, Query(alias="to")]


@router.get("/api/v1/analytics")
async def workspace_analytics(
    context: BillingReader, session: DbSession, days: Days = 30, first: First = None, last: Last = None, tz: str = "UTC"
) -> dict[str, Any]:
    """The dashboard over the last `days` days or the dates `from`..`to` (inclusive), in the time zone `tz`."""
    window = _window(days, first, last, tz)
    board = await analytics.dashboard(session=session, tenant_id=context.tenant_id, window=window)
    figures = asdict(board)
    figures["period"] = {"from": window.first_day.isoformat(), "to": window.last_day.isoformat(), "tz": window.tz}
    figures["shares"] = {o: round(board.share(o), 4) for o in analytics.OUTCOMES}
    return figures


@router.get("/api/v1/admin/funnel")
async def signup_funnel(
    _: PlatformAdmin, session: DbSession, days: Days = 30, first: First = None, last: Last = None
) -> dict[str, Any]:
    window = _window(days, first, last)
    report = await funnel.report(session=session, start=window.start, end=window.end)
    return {
        "period": {"from": window.first_day.isoformat(), "to": window.last_day.isoformat()},
        "steps": [asdict(s) for s in report.steps],
        "all_workspaces": report.all_workspaces,  # created any way, the sign-up form or not
    }
