"""The FastAPI application that Reflex mounts its own routes into."""

from __future__ import annotations

from fastapi import FastAPI

from chatai_app.api import (
    admin_routes,
    analytics_routes,
    auth_routes,
    billing_routes,
    chat_routes,
    docs_routes,
    health_routes,
    knowledge_gap_routes,
    knowledge_routes,
    monitoring_routes,
    provider_key_routes,
    team_routes,
    telegram_routes,
    widget_routes,
)
from chatai_app.api.errors import install_error_handlers
from chatai_app.api.metrics import MetricsMiddleware
from chatai_app.api.web_security import guarded


def build_api() -> FastAPI:
    api = FastAPI(
        title="ChatAI API",
        version="0.1.0",
        description="JSON API of ChatAI. Authenticate with `/api/v1/auth/login`, then send "
        "`Authorization: Bearer <access_token>`; rotate with `/api/v1/auth/refresh`.",
        docs_url=None,
        openapi_url="/openapi.json",
    )
    install_error_handlers(api)
    docs_routes.install(api)
    api.include_router(health_routes.router)
    api.include_router(auth_routes.router)
    api.include_router(knowledge_routes.router)
    api.include_router(chat_routes.router)
    api.include_router(provider_key_routes.router)
    api.include_router(telegram_routes.router)
    api.include_router(widget_routes.router)
    api.include_router(billing_routes.router)
    # issue 14: team, account security, platform admin console, knowledge gaps
    api.include_router(team_routes.router)
    api.include_router(admin_routes.router)
    api.include_router(knowledge_gap_routes.router)
    api.include_router(analytics_routes.router)  # issue 14: analytics dashboard, landing funnel
    api.include_router(monitoring_routes.router)  # issue 14: monitoring, message traces, system settings
    api.add_middleware(widget_routes.OriginGuard)
    api.add_middleware(MetricsMiddleware)
    return api


def build_server() -> object:
    """The API as production serves it (inside `chatai run` the same layers wrap the pages too)."""
    return guarded(build_api())
