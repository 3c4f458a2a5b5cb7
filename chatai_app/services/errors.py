"""Domain errors; each adapter (web state, HTTP API, bot) translates them for its user."""

from __future__ import annotations


class DomainError(Exception):
    """Base of every error a service raises on purpose."""

    code = "error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ValidationFailed(DomainError):
    """Bad input; `fields` maps a field name to its message."""

    code = "validation_failed"

    def __init__(self, fields: dict[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in fields.items()))
        self.fields = fields


class InvalidCredentials(DomainError):
    code = "invalid_credentials"

    def __init__(self) -> None:
        super().__init__("Invalid email or password")


class AuthenticationRequired(DomainError):
    code = "authentication_required"

    def __init__(self, message: str = "Please sign in") -> None:
        super().__init__(message)


class PermissionDenied(DomainError):
    code = "permission_denied"


class NotFound(DomainError):
    code = "not_found"


class Conflict(DomainError):
    code = "conflict"


class RateLimited(DomainError):
    code = "rate_limited"

    def __init__(self, retry_after_s: int) -> None:
        super().__init__(f"Too many attempts, try again in {retry_after_s} s")
        self.retry_after_s = retry_after_s


class ServiceBusy(DomainError):
    """Every slot is taken for longer than a caller should wait; try again shortly (HTTP 503 + Retry-After)."""

    code = "busy"

    def __init__(self, retry_after_s: int = 2, message: str = "") -> None:
        super().__init__(message or f"The service is busy; please try again in {retry_after_s} s")
        self.retry_after_s = retry_after_s
