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


class ChatAIApp(rx.App):
    """Reflex's app with CORS limited to the app's own origin (Reflex's default echoes any origin with
    credentials); the widget API keeps its own per-assistant policy."""

    @staticmethod
    def _add_cors(api) -> None:  # type: ignore[override]
        api.add_middleware(AppCors)


app = ChatAIApp(
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
