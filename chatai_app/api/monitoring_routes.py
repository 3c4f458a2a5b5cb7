"""Monitoring, message traces and system settings for platform admins (issue 14): the JSON behind /admin/monitoring,
/admin/trace and /admin/settings. Every route is PlatformAdmin: anyone else gets 403."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from fastapi import APIRouter, Query

from chatai_app.api.deps import Client, DbSession, PlatformAdmin
from chatai_app.services import monitoring, system_settings, tracing
from chatai_app.settings import get_settings

router = APIRouter(prefix="/api/v1/admin", tags=["admin console"])


@router.get("/monitoring")
async def monitoring_snapshot(
    context: PlatformAdmin, session: DbSession, hours: int = Query(24, ge=1, le=monitoring.MAX_HOURS)
) -> dict[str, Any]:
    """Hourly series (UTC), current figures and the health of every part."""
    jobs = await monitoring.jobs(session=session, hours=hours)
    return {
        "messages_per_hour": await monitoring.messages_per_hour(session=session, hours=hours),
        "llm_per_hour": await monitoring.llm_per_hour(session=session, hours=hours),
        "jobs": asdict(jobs),
        "bots": asdict(await monitoring.bots(session=session)),
        "operators": await monitoring.operators_online(session=session),
        "widget": await monitoring.widget_activity(session=session),
        "health": [asdict(h) for h in await monitoring.health(session=session, redis_url=get_settings().redis_url)],
    }


@router.get("/messages/{message_id}/trace")
async def message_trace(message_id: int, context: PlatformAdmin, session: DbSession) -> dict[str, Any]:
    """received -> stored -> retrieved -> LLM -> charged -> delivered, in ms since the message was received."""
    return asdict(await tracing.message_trace(session=session, message_id=message_id))


@router.get("/settings")
async def settings(context: PlatformAdmin, session: DbSession) -> dict[str, Any]:
    return await system_settings.current(session=session)


@router.put("/settings")
async def change_settings(
    body: dict[str, Any], context: PlatformAdmin, session: DbSession, client: Client
) -> dict[str, list[str]]:
    """Stored units (kopecks for money); each changed setting is audited with its previous value."""
    changed = await system_settings.change(session=session, changes=body, actor=context.user_id, ip=client.ip)
    return {"changed": changed}


@router.get("/settings/history")
async def settings_history(
    context: PlatformAdmin, session: DbSession, limit: int = Query(50, ge=1, le=500)
) -> list[dict[str, Any]]:
    return [asdict(c) for c in await system_settings.history(session=session, limit=limit)]
