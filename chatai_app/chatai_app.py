"""Builds the Reflex app: pages plus the JSON API mounted through `api_transformer`."""

from __future__ import annotations

import reflex as rx

from chatai_app.api.app import build_api
from chatai_app.api.web_security import AppCors, guarded
from chatai_app.pages import (
    assistant_settings,
    assistants,
    billing,
    dashboard,
    dialogs,
    inbox,
    knowledge,
    login,
    playground,
    profile,
    signup,
)


def _add_app_cors(api) -> None:
    api.add_middleware(AppCors)


# Reflex adds a CORS layer that echoes any Origin with credentials (it calls `App._add_cors` by class name):
# ours allows the app's own origin only and leaves the widget API to its per-assistant allow-list.
rx.App._add_cors = staticmethod(_add_app_cors)  # type: ignore[method-assign]

app = rx.App(
    api_transformer=[build_api(), guarded],
    html_lang="en",
)

for page in (
    dashboard,
    login,
    signup,
    profile,
    knowledge,
    playground,
    assistant_settings,
    assistants,
    dialogs,
    inbox,
    billing,
):
    page.register(app)
