"""The workspace analytics dashboard (issue 14), computed from the tables the product already writes.

- Dialogs and messages per day and channel: dialogs started, and conversation messages (user, AI, operator).
- Outcomes of the users' messages: each user message is judged by what followed it up to the next user message:
  handed to a human (a handoff was requested or still holds, or an operator answered), answered from knowledge (an
  AI reply that cites knowledge), answered otherwise (small talk, replies without a shown source), or unanswered
  (the engine's `no_answer` abstentions, outage apologies, no balance, or no reply at all).
- Operators' first response: from the handoff's `taken` audit row to that operator's first message in the dialog.
- Busiest hours: users' messages by weekday and hour, in the chosen time zone.
- Answer feedback: the 👍/👎 totals of `services.feedback` over the period.
- Spend per assistant: the billing ledger's reply charges (`turn:<message id>`, `reply:<message id>:tokens`) less
  the reservations given back (`turn:<id>:release`), by the dialog's assistant.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import sqlalchemy as sa
from sqlmodel.ext.asyncio.session import AsyncSession

from chatai_app.services import feedback
from chatai_app.services.errors import ValidationFailed

CHANNELS = ("telegram", "widget", "api", "playground")
OUTCOMES = ("knowledge", "other", "handed_off", "unanswered")
PRESET_DAYS = (7, 30, 90)
MAX_DAYS = 366


@dataclass(frozen=True)
class Period:
    """[start, end) in UTC, with the calendar days it covers in `tz`."""

    start: datetime
    end: datetime
    tz: str
    first_day: date
    last_day: date

    @property
    def days(self) -> list[date]:
        return [self.first_day + timedelta(days=i) for i in range((self.last_day - self.first_day).days + 1)]


def _zone(tz: str) -> ZoneInfo:
    try:
        return ZoneInfo(tz or "UTC")
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValidationFailed({"tz": "Unknown time zone"}) from exc


def period(
    *,
    days: int | None = 30,
    first: date | None = None,
    last: date | None = None,
    tz: str = "UTC",
    today: date | None = None,
) -> Period:
    """The last `days` days up to today (in `tz`), or the calendar days `first`..`last` inclusive."""
    zone = _zone(tz)
    if first is None or last is None:
        if days is None or not 1 <= days <= MAX_DAYS:
            raise ValidationFailed({"days": f"Choose 1 to {MAX_DAYS} days"})
        last = today or datetime.now(zone).date()
        first = last - timedelta(days=days - 1)
    if first > last:
        raise ValidationFailed({"from": "The start date is after the end date"})
    if (last - first).days >= MAX_DAYS:
        raise ValidationFailed({"from": f"Choose at most {MAX_DAYS} days"})
    start = datetime.combine(first, time.min, zone).astimezone(UTC)
    end = datetime.combine(last + timedelta(days=1), time.min, zone).astimezone(UTC)
    return Period(start, end, zone.key, first, last)


@dataclass
class OperatorResponse:
    name: str
    median_s: float
    count: int


@dataclass
class AssistantSpend:
    assistant_id: str
    name: str
    spent_minor: int
    replies: int


@dataclass
class Dashboard:
    period: Period
    daily: list[dict[str, int | str]]  # {"day", "dialogs_<channel>", "messages_<channel>"...}
    channels: dict[str, dict[str, int]]  # channel -> {"dialogs", "messages"}
    outcomes: dict[str, int]
    median_first_response_s: float | None
    first_responses: int
    operators: list[OperatorResponse]
    hours: list[list[int]]  # [weekday 0=Mon..6][hour 0..23] users' messages
    spend: list[AssistantSpend]
    feedback: dict[str, int] = field(default_factory=dict)  # answer feedback: {"up": 👍, "down": 👎}

    @property
    def total_outcomes(self) -> int:
        return sum(self.outcomes.values())

    def share(self, outcome: str) -> float:
        return self.outcomes.get(outcome, 0) / self.total_outcomes if self.total_outcomes else 0.0


_LOCAL_DAY = "to_char(({col} AT TIME ZONE :tz)::date, 'YYYY-MM-DD')"

_DIALOGS_SQL = sa.text(f"""
SELECT {_LOCAL_DAY.format(col="d.created_at")} AS day, d.channel, count(*)
FROM dialogs d
WHERE d.tenant_id = :tenant AND d.created_at >= :start AND d.created_at < :end
GROUP BY 1, 2
""")

_MESSAGES_SQL = sa.text(f"""
SELECT {_LOCAL_DAY.format(col="m.created_at")} AS day, d.channel, count(*)
FROM dialog_messages m JOIN dialogs d ON d.id = m.dialog_id
WHERE m.tenant_id = :tenant AND m.created_at >= :start AND m.created_at < :end
  AND m.role IN ('user', 'assistant', 'operator')
GROUP BY 1, 2
""")

_REPLY_IN_WINDOW = """EXISTS (SELECT 1 FROM dialog_messages r WHERE r.dialog_id = u.dialog_id AND r.id > u.id
  AND (u.next_id IS NULL OR r.id < u.next_id) AND {condition})"""

_OUTCOMES_SQL = sa.text(f"""
WITH u AS (
  SELECT m.id, m.dialog_id, m.created_at,
         lead(m.id) OVER w AS next_id, lead(m.created_at) OVER w AS next_at
  FROM dialog_messages m
  WHERE m.tenant_id = :tenant AND m.role = 'user' AND m.created_at >= :start
  WINDOW w AS (PARTITION BY m.dialog_id ORDER BY m.id)
)
SELECT CASE
  WHEN {_REPLY_IN_WINDOW.format(condition="r.role = 'operator'")}
    OR (SELECT h.action FROM handoff_audit h
        WHERE h.tenant_id = :tenant AND h.dialog_id = u.dialog_id AND h.created_at < coalesce(u.next_at, 'infinity')
        ORDER BY h.created_at DESC, h.id DESC LIMIT 1) IN ('requested', 'taken') THEN 'handed_off'
  WHEN {_REPLY_IN_WINDOW.format(condition="r.role = 'assistant' AND r.status = 'ok' AND jsonb_array_length(r.sources) > 0")}
    THEN 'knowledge'
  WHEN {_REPLY_IN_WINDOW.format(condition="r.role = 'assistant' AND r.status = 'ok'")} THEN 'other'
  ELSE 'unanswered'
END AS outcome, count(*)
FROM u
WHERE u.created_at < :end
GROUP BY 1
""")  # noqa: E501

_FIRST_RESPONSE_SQL = sa.text("""
SELECT GROUPING(h.actor_user_id) = 1 AS total, coalesce(nullif(us.full_name, ''), us.email, '') AS name,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM r.created_at - h.created_at)) AS median_s,
       count(*) AS n
FROM handoff_audit h
JOIN LATERAL (SELECT m.created_at FROM dialog_messages m
              WHERE m.dialog_id = h.dialog_id AND m.role = 'operator' AND m.created_at >= h.created_at
                AND m.author_user_id IS NOT DISTINCT FROM h.actor_user_id
              ORDER BY m.id LIMIT 1) r ON true
LEFT JOIN users us ON us.id = h.actor_user_id
WHERE h.tenant_id = :tenant AND h.action = 'taken' AND h.created_at >= :start AND h.created_at < :end
GROUP BY GROUPING SETS ((h.actor_user_id, us.full_name, us.email), ())
ORDER BY 4 DESC
""")

_HOURS_SQL = sa.text("""
SELECT extract(isodow FROM m.created_at AT TIME ZONE :tz)::int - 1 AS weekday,
       extract(hour FROM m.created_at AT TIME ZONE :tz)::int AS hour, count(*)
FROM dialog_messages m
WHERE m.tenant_id = :tenant AND m.role = 'user' AND m.created_at >= :start AND m.created_at < :end
GROUP BY 1, 2
""")

_SPEND_SQL = sa.text("""
SELECT d.assistant_id, coalesce(a.name, ''), -sum(b.amount_minor) AS spent,
       count(*) FILTER (WHERE b.idempotency_key ~ '^turn[:][0-9]+$')
         - count(*) FILTER (WHERE b.idempotency_key ~ '^turn[:][0-9]+[:]release$') AS replies
FROM balance_transactions b
JOIN dialog_messages m
  ON m.id = CAST(substring(b.idempotency_key FROM '^[a-z]+[:]([0-9]+)') AS bigint) AND m.tenant_id = b.tenant_id
JOIN dialogs d ON d.id = m.dialog_id
LEFT JOIN assistants a ON a.id = d.assistant_id
WHERE b.tenant_id = :tenant AND b.created_at >= :start AND b.created_at < :end
  AND b.idempotency_key ~ '^(turn|reply)[:][0-9]+'
GROUP BY 1, 2
ORDER BY 3 DESC, 2
""")


async def _rows(session: AsyncSession, statement: sa.TextClause, **params: object) -> list[sa.Row]:
    return list((await session.exec(statement.bindparams(**params))).all())  # type: ignore[call-overload]


def _daily(window: Period, dialogs: list[sa.Row], messages: list[sa.Row]) -> list[dict[str, int | str]]:
    rows: dict[str, dict[str, int | str]] = {}
    for day in window.days:
        key = day.isoformat()
        rows[key] = {"day": key[5:], **{f"{kind}_{c}": 0 for kind in ("dialogs", "messages") for c in CHANNELS}}
    for kind, found in (("dialogs", dialogs), ("messages", messages)):
        for day, channel, count in found:
            if day in rows and channel in CHANNELS:
                rows[day][f"{kind}_{channel}"] = int(count)
    return list(rows.values())


def _channels(dialogs: list[sa.Row], messages: list[sa.Row]) -> dict[str, dict[str, int]]:
    totals = {c: {"dialogs": 0, "messages": 0} for c in CHANNELS}
    for kind, found in (("dialogs", dialogs), ("messages", messages)):
        for _, channel, count in found:
            totals.setdefault(channel, {"dialogs": 0, "messages": 0})[kind] += int(count)
    return totals


async def dashboard(*, session: AsyncSession, tenant_id: uuid.UUID, window: Period) -> Dashboard:
    """Every figure of the dashboard for one workspace over `window`."""
    params = {"tenant": tenant_id, "start": window.start, "end": window.end}
    dialogs = await _rows(session, _DIALOGS_SQL, tz=window.tz, **params)
    messages = await _rows(session, _MESSAGES_SQL, tz=window.tz, **params)
    outcomes = {o: 0 for o in OUTCOMES} | {o: int(n) for o, n in await _rows(session, _OUTCOMES_SQL, **params)}
    responses = await _rows(session, _FIRST_RESPONSE_SQL, **params)
    overall = next((r for r in responses if r[0]), None)
    hours = [[0] * 24 for _ in range(7)]
    for weekday, hour, count in await _rows(session, _HOURS_SQL, tz=window.tz, **params):
        hours[weekday][hour] = int(count)
    spend = [
        AssistantSpend(str(aid), name, int(spent or 0), max(0, int(replies or 0)))
        for aid, name, spent, replies in await _rows(session, _SPEND_SQL, **params)
    ]
    votes = await feedback.feedback_summary(session=session, tenant_id=tenant_id, since=window.start, until=window.end)
    return Dashboard(
        period=window,
        daily=_daily(window, dialogs, messages),
        channels=_channels(dialogs, messages),
        outcomes=outcomes,
        median_first_response_s=float(overall[2]) if overall and overall[2] is not None else None,
        first_responses=int(overall[3]) if overall else 0,
        operators=[OperatorResponse(r[1], float(r[2]), int(r[3])) for r in responses if not r[0]],
        hours=hours,
        spend=spend,
        feedback={"up": votes.up, "down": votes.down},
    )
