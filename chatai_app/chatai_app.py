"""Builds the Reflex app: pages plus the JSON API mounted through `api_transformer`."""

import logging
import uuid

import reflex as rx

from chatai_app.api.app import build_api
from chatai_app.api.web_security import AppCors, guarded
from chatai_app.outages import OutageLog, first_line, unavailable_kind
from chatai_app.pages import (
    account_security,
    admin_console,
    admin_funnel,
    admin_keys,
    admin_monitoring,
    admin_settings,
    analytics,
    assistant_settings,
    assistants,
    billing,
    dashboard,
    dialogs,
    inbox,
    knowledge,
    knowledge_gaps,
    landing,
    login,
    owner_keys,
    playground,
    profile,
    signup,
    team,
)
from chatai_app.services import logbook
from chatai_app.services.errors import AuthenticationRequired, DomainError

log = logging.getLogger(__name__)
CONSOLE_OUTAGES = OutageLog(log)


def _add_app_cors(api: object) -> None:
    api.add_middleware(AppCors)  # type: ignore[attr-defined]


# Reflex adds a CORS layer that echoes any Origin with credentials (it calls `App._add_cors` by class name):
# ours allows the app's own origin only and leaves the widget API to its per-assistant allow-list.
rx.App._add_cors = staticmethod(_add_app_cors)  # type: ignore[method-assign]


def _backend_error(exception: Exception) -> rx.event.EventSpec:
    """A handler's error for the user: a domain error says what went wrong (signed out: to the login page);
    anything else shows only an id that points at the log, never internals."""
    if isinstance(exception, AuthenticationRequired):
        return rx.redirect("/login")
    if isinstance(exception, DomainError):
        return rx.toast.error(exception.message, id="backend_error")
    if kind := unavailable_kind(exception):  # the database is away: one log line per kind, not one per click
        CONSOLE_OUTAGES.failed(kind, first_line(exception), where="console")
        return rx.toast.error("The service is briefly unavailable; please try again in a few seconds",
                              id="backend_error")  # fmt: skip
    error_id = uuid.uuid4().hex[:12]
    log.error("console handler failed (error id %s)", error_id, exc_info=exception)
    return rx.toast.error(f"Something went wrong (error id {error_id}); please try again", id="backend_error")


app = rx.App(
    backend_exception_handler=_backend_error,
    api_transformer=[build_api(), guarded],
    html_lang="en",
    stylesheets=["/chatai.css"],  # assets/chatai.css: the console's layout and design rules
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
    team,  # issue 14
    account_security,
    admin_console,
    admin_keys,  # issue 14: the AI provider key pool
    knowledge_gaps,
    analytics,  # issue 14: the dashboard, the public landing page and the admins' funnel
    landing,
    admin_funnel,
    admin_monitoring,  # issue 14: monitoring, message trace, system settings
    admin_settings,
    owner_keys,  # issue 14: a workspace owner's own AI provider keys
):
    page.register(app)

logbook.install(process="web")  # issue 14: recent log records for the admin console (no-op without a database)
