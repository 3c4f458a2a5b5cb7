"""Translate domain errors into HTTP responses with a clear, machine-readable body."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from chatai_app.services import errors
from chatai_app.services.billing import InsufficientFunds
from chatai_app.services.knowledge.uploads import UploadRejected
from chatai_app.services.payments import PaymentsNotConfigured, PaymentWebhookRejected
from chatai_app.services.plans import PlanLimitReached
from chatai_app.services.promo import PromoRejected
from chatai_app.services.telegram import TelegramError, WebhookRejected

STATUS_BY_ERROR: dict[type[errors.DomainError], int] = {
    errors.ValidationFailed: 422,
    UploadRejected: 422,
    errors.InvalidCredentials: 401,
    errors.AuthenticationRequired: 401,
    errors.PermissionDenied: 403,
    errors.NotFound: 404,
    errors.Conflict: 409,
    errors.RateLimited: 429,
    InsufficientFunds: 402,
    PlanLimitReached: 402,
    PromoRejected: 422,
    PaymentWebhookRejected: 400,
    PaymentsNotConfigured: 503,
    TelegramError: 502,
    WebhookRejected: 401,
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
    if isinstance(exc, errors.RateLimited):
        headers["Retry-After"] = str(exc.retry_after_s)
    return JSONResponse(body, status_code=_status_for(exc), headers=headers)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(errors.DomainError, domain_error_handler)
