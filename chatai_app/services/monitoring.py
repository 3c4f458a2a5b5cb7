"""Platform monitoring for the admin console: hourly series computed from the tables the platform writes anyway
(messages, their traces, the job queue's events, bots, operator presence) plus the live health of the database,
the queue, Redis and each supervised process (the supervisor's status file behind /readyz and /metrics), and the
process-local Prometheus gauges that /metrics exposes (widget connections)."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from prometheus_client import REGISTRY, Gauge
from sqlmodel.ext.asyncio.session import AsyncSession

from chatai_app.models._base import utcnow
from chatai_app.services.presence import OFFLINE_AFTER_S
from chatai_app.supervision import read_status

CHANNELS = ("telegram", "widget", "api", "playground")
MAX_HOURS = 24 * 7
try:
    WIDGET_CONNECTIONS = Gauge("chatai_widget_connections", "Open widget event streams in this process")
except ValueError:  # registered already (the module imported twice under another name)
    WIDGET_CONNECTIONS = REGISTRY._names_to_collectors["chatai_widget_connections"]  # type: ignore[attr-defined]


async def counted_stream(stream: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
    """A widget event stream, counted in `chatai_widget_connections` while it is open."""
    WIDGET_CONNECTIONS.inc()
    try:
        async for chunk in stream:
            yield chunk
    finally:
        WIDGET_CONNECTIONS.dec()


def _hours(hours: int, now: datetime | None) -> tuple[datetime, list[datetime]]:
    hours = min(max(hours, 1), MAX_HOURS)
    end = (now or utcnow()).replace(minute=0, second=0, microsecond=0)
    buckets = [end - timedelta(hours=h) for h in range(hours - 1, -1, -1)]
    return buckets[0], buckets


def _label(hour: datetime) -> str:
    return f"{hour:%H}:00"


async def _rows(session: AsyncSession, sql: str, **params: Any) -> list[Any]:
    return list((await session.exec(sa.text(sql).bindparams(**params))).all())  # type: ignore[call-overload]


async def messages_per_hour(*, session: AsyncSession, hours: int = 24, now: datetime | None = None) -> list[dict]:
    """End users' messages per hour by channel (UTC hours), oldest first; every hour present."""
    since, buckets = _hours(hours, now)
    rows = await _rows(
        session,
        "SELECT date_trunc('hour', m.created_at, 'UTC') AS hour, d.channel, count(*) FROM dialog_messages m "
        "JOIN dialogs d ON d.id = m.dialog_id WHERE m.created_at >= :since AND m.role = 'user' GROUP BY 1, 2",
        since=since,
    )
    counts = {(hour, channel): int(n) for hour, channel, n in rows}
    return [{"hour": _label(b), **{c: counts.get((b, c), 0) for c in CHANNELS}} for b in buckets]


async def llm_per_hour(*, session: AsyncSession, hours: int = 24, now: datetime | None = None) -> list[dict]:
    """Per hour: model replies, the median and 95th-percentile wait on the model and the 95th percentile of the
    whole turn (received to charged), in ms from the traces, and errors (the model stayed down after the retries:
    an apology or a handoff instead of an answer)."""
    since, buckets = _hours(hours, now)
    replies = await _rows(
        session,
        "SELECT date_trunc('hour', created_at, 'UTC'), count(*), "
        "percentile_cont(0.5) WITHIN GROUP (ORDER BY (trace->>'llm_ms')::float), "
        "percentile_cont(0.95) WITHIN GROUP (ORDER BY (trace->>'llm_ms')::float), "
        "percentile_cont(0.95) WITHIN GROUP (ORDER BY (trace->'stages'->>'charged')::float) FROM dialog_messages "
        "WHERE created_at >= :since AND role = 'assistant' AND trace->>'llm_ms' IS NOT NULL GROUP BY 1",
        since=since,
    )
    errors = await _rows(
        session,
        "SELECT hour, sum(n) FROM (SELECT date_trunc('hour', created_at, 'UTC') AS hour, count(*) AS n "
        "FROM dialog_messages WHERE created_at >= :since AND role = 'assistant' AND status = 'fallback' GROUP BY 1 "
        "UNION ALL "
        "SELECT date_trunc('hour', created_at, 'UTC'), count(*) FROM handoff_audit WHERE created_at >= :since "
        "AND reason = 'llm_outage' GROUP BY 1) e GROUP BY hour",
        since=since,
    )
    by_hour = {h: (int(n), p50, p95, turn) for h, n, p50, p95, turn in replies}
    failed = {h: int(n) for h, n in errors}
    series = []
    for b in buckets:
        n, p50, p95, turn = by_hour.get(b, (0, None, None, None))
        series.append({"hour": _label(b), "replies": n, "p50_ms": round(p50 or 0), "p95_ms": round(p95 or 0),
                       "turn_p95_ms": round(turn or 0), "errors": failed.get(b, 0)})  # fmt: skip
    return series


@dataclass(frozen=True)
class JobStats:
    depth: dict[str, int]  # todo / doing / failed now
    per_hour: list[dict]  # hour, deferred, succeeded, failed
    queues: list[dict]  # queue, todo, doing, failed


async def jobs(*, session: AsyncSession, hours: int = 24, now: datetime | None = None) -> JobStats:
    since, buckets = _hours(hours, now)
    by_queue = await _rows(
        session,
        "SELECT queue_name, status::text, count(*) FROM procrastinate_jobs "
        "WHERE status IN ('todo', 'doing', 'failed') GROUP BY 1, 2",
    )
    queues: dict[str, dict[str, Any]] = {}
    for queue, status, n in by_queue:
        queues.setdefault(queue, {"queue": queue, "todo": 0, "doing": 0, "failed": 0})[status] = int(n)
    depth = {s: sum(q[s] for q in queues.values()) for s in ("todo", "doing", "failed")}
    events = await _rows(
        session,
        "SELECT date_trunc('hour', at, 'UTC'), type::text, count(*) FROM procrastinate_events WHERE at >= :since "
        "AND type IN ('deferred', 'succeeded', 'failed') GROUP BY 1, 2",
        since=since,
    )
    counts = {(h, t): int(n) for h, t, n in events}
    per_hour = [
        {"hour": _label(b), **{t: counts.get((b, t), 0) for t in ("deferred", "succeeded", "failed")}} for b in buckets
    ]
    return JobStats(depth, per_hour, sorted(queues.values(), key=lambda q: q["queue"]))


@dataclass(frozen=True)
class BotStats:
    by_status: dict[str, int]  # running / stopped / error / ... for enabled bots, and "disabled"
    failing: list[dict]  # the bots with an error: username, workspace, status, error, last update


async def bots(*, session: AsyncSession, limit: int = 20) -> BotStats:
    rows = await _rows(
        session,
        "SELECT CASE WHEN enabled THEN status ELSE 'disabled' END, count(*) FROM bot_instances GROUP BY 1",
    )
    failing = await _rows(
        session,
        "SELECT b.username, t.name, b.status, b.last_error, b.last_update_at FROM bot_instances b "
        "JOIN tenants t ON t.id = b.tenant_id WHERE b.enabled AND (b.last_error <> '' OR b.status = 'error') "
        "ORDER BY b.last_update_at DESC NULLS LAST LIMIT :limit",
        limit=limit,
    )
    listed = [
        {"bot": f"@{u}" if u else "—", "workspace": w, "status": s, "error": (e or "")[:300],
         "last_update": f"{at:%Y-%m-%d %H:%M}" if at else ""}
        for u, w, s, e, at in failing
    ]  # fmt: skip
    return BotStats({str(s): int(n) for s, n in rows}, listed)


async def operators_online(*, session: AsyncSession, now: datetime | None = None) -> dict[str, int]:
    """Operators whose inbox sent a heartbeat lately, by their status (online, away), over all workspaces."""
    since = (now or utcnow()) - timedelta(seconds=OFFLINE_AFTER_S)
    rows = await _rows(
        session,
        "SELECT status, count(DISTINCT user_id) FROM operator_presence WHERE last_seen_at >= :since "
        "AND status IN ('online', 'away') GROUP BY 1",
        since=since,
    )
    found = {str(s): int(n) for s, n in rows}
    return {"online": found.get("online", 0), "away": found.get("away", 0)}


async def widget_activity(*, session: AsyncSession, now: datetime | None = None) -> dict[str, int]:
    """Open widget event streams in this web process (the Prometheus gauge of /metrics) and widget conversations
    with a message in the last 5 minutes (every process)."""
    since = (now or utcnow()) - timedelta(minutes=5)
    active = await _rows(
        session, "SELECT count(*) FROM dialogs WHERE channel = 'widget' AND last_message_at >= :since", since=since
    )
    streams = REGISTRY.get_sample_value("chatai_widget_connections") or 0.0
    return {"streams": int(streams), "active_dialogs": int(active[0][0])}


@dataclass(frozen=True)
class Health:
    name: str  # database | queue | redis | process:<name>
    state: str  # ok | degraded | down | off (not configured / not supervised)
    detail: str


async def _database(session: AsyncSession) -> Health:
    started = time.perf_counter()
    try:
        await session.exec(sa.text("SELECT 1"))  # type: ignore[call-overload]
    except Exception as exc:
        return Health("database", "down", type(exc).__name__)
    return Health("database", "ok", f"{(time.perf_counter() - started) * 1000:.1f} ms")


async def _queue(session: AsyncSession) -> Health:
    try:
        workers, oldest = (
            await _rows(
                session,
                "SELECT (SELECT count(*) FROM procrastinate_workers WHERE last_heartbeat > now() - interval '30 s'),"
                " (SELECT extract(epoch FROM now() - min(scheduled_at)) FROM procrastinate_jobs WHERE status = 'todo'"
                " AND (scheduled_at IS NULL OR scheduled_at <= now()))",
            )
        )[0]
    except Exception as exc:
        return Health("queue", "down", type(exc).__name__)
    waiting = f"; the oldest job waits {int(oldest)} s" if oldest else ""
    if not workers:
        return Health("queue", "down", "no worker has sent a heartbeat in 30 s" + waiting)
    return Health("queue", "ok", f"{workers} worker(s){waiting}")


async def _redis(redis_url: str | None) -> Health:
    if not redis_url:
        return Health("redis", "off", "not configured (REDIS_URL unset): PostgreSQL serves events and rate limits")
    from redis.asyncio import Redis

    client = Redis.from_url(redis_url, socket_connect_timeout=2, socket_timeout=2)
    started = time.perf_counter()
    try:
        await client.ping()
    except Exception as exc:
        return Health("redis", "down", type(exc).__name__)
    finally:
        await client.aclose()
    return Health("redis", "ok", f"{(time.perf_counter() - started) * 1000:.1f} ms")


def _processes(status: dict[str, Any] | None) -> list[Health]:
    if status is None:
        return [Health("process:web", "off", "not supervised (started without `chatai run`)")]
    found = []
    for name, info in sorted(status.get("processes", {}).items()):
        state = str(info.get("state", "?"))
        ok = state == "running" and not status.get("stale")
        detail = f"{state}, restarts {info.get('restarts', 0)}"
        if info.get("last_exit") not in (None, ""):
            detail += f", last exit {info.get('last_exit')}"
        found.append(Health(f"process:{name}", "ok" if ok else "degraded", detail))
    if database := status.get("database") or {}:
        detail = f"supervisor: {database.get('state', '?')}, restarts {database.get('restarts', 0)}"
        found.append(Health("process:postgres", "ok" if database.get("state") == "up" else "down", detail))
    if status.get("stale"):
        found.append(Health("process:supervisor", "down", "the supervisor stopped reporting"))
    return found


async def health(*, session: AsyncSession, redis_url: str | None) -> list[Health]:
    """Database, queue, Redis and each process the supervisor runs."""
    return [await _database(session), await _queue(session), await _redis(redis_url), *_processes(read_status())]
