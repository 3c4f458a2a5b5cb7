"""Reflex configuration, derived from ChatAI settings (see chatai_app/settings.py)."""

import reflex as rx
from reflex.plugins.sitemap import SitemapPlugin

from chatai_app.settings import get_settings
from chatai_app.toolchain import apply_frontend_env, quiet_reflex_advice
from chatai_app.web_workers import apply_granian_env

# Bun comes from the npm registry (`chatai setup`); Reflex must never download a toolchain itself.
apply_frontend_env()
quiet_reflex_advice()  # no "upgrade Node.js" (bun runs the build), no "run `reflex run`" (chatai run does)
apply_granian_env()  # GRANIAN_RESPAWN_FAILED_WORKERS: a dead web worker is started again (Reflex ignores it)

settings = get_settings()

config = rx.Config(
    app_name="chatai_app",
    telemetry_enabled=False,
    redis_url=settings.redis_url,
    frontend_port=settings.port,
    backend_port=settings.port,
    api_url=settings.base_url,
    deploy_url=settings.base_url,
    show_built_with_reflex=False,
    plugins=[rx.plugins.RadixThemesPlugin(theme=rx.theme(accent_color="indigo", radius="medium"))],
    disable_plugins=[SitemapPlugin],
)
