"""Translate domain errors into HTTP responses with a clear, machine-readable body; never leak internals.

Anything unexpected becomes a 500 naming only the request id (the log has the rest, once); a database
that is down or a pool that stays full becomes a 503 with Retry-After and one log line per kind.
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from chatai_app.api.web_security import BodyTooLarge, too_large_body
from chatai_app.outages import OutageLog, first_line, unavailable_kind
from chatai_app.services import errors
from chatai_app.services.billing import InsufficientFunds
from chatai_app.services.knowledge.uploads import UploadRejected
from chatai_app.services.payments import PaymentsNotConfigured, PaymentWebhookRejected
from chatai_app.services.plans import PlanLimitReached
from chatai_app.services.promo import PromoRejected
from chatai_app.services.signed_links import LinkInvalid
from chatai_app.services.telegram import TelegramError, WebhookRejected
from chatai_app.services.two_factor import TwoFactorRequired
from chatai_app.services.widget import SpendCapReached

log = logging.getLogger(__name__)

STATUS_BY_ERROR: dict[type[errors.DomainError], int] = {
    errors.ValidationFailed: 422,
    UploadRejected: 422,
    errors.InvalidCredentials: 401,
    errors.AuthenticationRequired: 401,
    errors.PermissionDenied: 403,
    errors.NotFound: 404,
    errors.Conflict: 409,
    errors.RateLimited: 429,
    errors.ServiceBusy: 503,
    SpendCapReached: 429,
    InsufficientFunds: 402,
    PlanLimitReached: 402,
    PromoRejected: 422,
    PaymentWebhookRejected: 400,
    PaymentsNotConfigured: 503,
    TelegramError: 502,
    WebhookRejected: 401,
    LinkInvalid: 400,
    TwoFactorRequired: 401,
}


def _status_for(exc: errors.DomainError) -> int:
    for error_type, status in STATUS_BY_ERROR.items():
        if isinstance(exc, error_type):
            return status
    return 400


async def domain_error_handler(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, errors.DomainError)
    body: dict[str, object] = {"error": exc.code, "message": exc.message}
    headers: dict[str, str] = {}
    if isinstance(exc, errors.ValidationFailed):
        body["fields"] = exc.fields
    if isinstance(exc, UploadRejected):
        body["reason"] = exc.reason
    if isinstance(exc, TwoFactorRequired):
        body["challenge"] = exc.challenge
    if isinstance(exc, errors.RateLimited | errors.ServiceBusy):
        headers["Retry-After"] = str(exc.retry_after_s)
    return JSONResponse(body, status_code=_status_for(exc), headers=headers)


def request_id_of(request: Request) -> str:
    return str(request.scope.get("state", {}).get("request_id", "-"))


OUTAGES = OutageLog(log)


def _log_once_in_a_while(kind: str, message: str) -> None:
    """One line per kind of outage every few seconds, not a traceback per request."""
    OUTAGES.failed(kind, message)


def unexpected_error_response(request: Request, exc: Exception) -> JSONResponse:
    request_id = request_id_of(request)
    if kind := unavailable_kind(exc):
        _log_once_in_a_while(kind, first_line(exc))
        body = {"error": "unavailable", "message": "The service is briefly unavailable; please retry",
                "request_id": request_id}  # fmt: skip
        return JSONResponse(body, status_code=503, headers={"Retry-After": "5"})
    log.exception("unexpected error (request %s) on %s %s", request_id, request.method, request.url.path)
    body = {"error": "internal", "message": f"Something went wrong on our side (request id {request_id})",
            "request_id": request_id}  # fmt: skip
    return JSONResponse(body, status_code=500)


class ErrorShield:
    """Catches what no handler took, answers it (500 with a request id, or 503) and does not re-raise,
    so one failing request leaves one log line, not a server traceback."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, tracking)
        except BodyTooLarge as exc:
            response = JSONResponse(too_large_body(exc.limit), status_code=413, headers={"Connection": "close"})
            if not started:
                await response(scope, receive, send)
        except Exception as exc:
            response = unexpected_error_response(Request(scope), exc)
            if not started:
                await response(scope, receive, send)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(errors.DomainError, domain_error_handler)
    app.add_middleware(ErrorShield)
