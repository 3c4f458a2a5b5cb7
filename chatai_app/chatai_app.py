"""Builds the Reflex app: pages plus the JSON API mounted through `api_transformer`."""

from __future__ import annotations

import reflex as rx

from chatai_app.api.app import build_api
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

app = rx.App(
    api_transformer=build_api(),
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
