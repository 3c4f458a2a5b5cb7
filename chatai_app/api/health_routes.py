"""Liveness, readiness and Prometheus metrics.

Under `chatai run` the supervisor's status file (supervision.py) adds the health of the processes (web,
worker, bot fleet) and of the database to /readyz, and their restart counts to /metrics.
"""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from chatai_app.api.deps import public
from chatai_app.migrations import is_at_head
from chatai_app.settings import get_settings
from chatai_app.supervision import process_summary, read_status

router = APIRouter(tags=["operations"], dependencies=[public("probes and metrics for the operator of the platform")])


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz")
async def readyz() -> JSONResponse:
    checks: dict[str, str] = {}
    try:
        at_head = await asyncio.to_thread(is_at_head, get_settings().require_database_url())
        checks["database"] = "ok"
        checks["migrations"] = "ok" if at_head else "pending: run `chatai db upgrade`"
    except Exception as exc:
        checks["database"] = f"unreachable: {type(exc).__name__}"
    ready = all(value == "ok" for value in checks.values()) and "migrations" in checks
    body: dict[str, object] = {"status": "ready" if ready else "not ready", "checks": checks}
    if (supervised := read_status()) is not None:
        # A restarting worker or bot fleet does not take the web app out of a load balancer (it serves fine):
        # the status says "degraded" and names them, the HTTP status stays 200.
        checks["processes"] = process_summary(supervised)
        body["processes"] = supervised.get("processes", {})
        body["database"] = supervised.get("database", {})
        if ready and checks["processes"] != "ok":
            body["status"] = "degraded"
    return JSONResponse(body, status_code=200 if ready else 503)


@router.get("/metrics", include_in_schema=False)
async def metrics() -> Response:
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
