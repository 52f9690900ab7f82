"""The error hierarchy. Each error carries a stable code and the HTTP status it maps to."""

from __future__ import annotations


class PlatformError(Exception):
    """An expected failure: rejected with its code, never retried, never a 500."""

    code = "error"
    status = 400

    def __init__(self, reason: str, *, field: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.field = field


class InvalidRequest(PlatformError):
    code = "invalid_request"
    status = 422


class NotFound(PlatformError):
    code = "not_found"
    status = 404


class Conflict(PlatformError):
    code = "conflict"
    status = 409


class Forbidden(PlatformError):
    code = "forbidden"
    status = 403


class Unavailable(PlatformError):
    code = "unavailable"
    status = 503


class TransientError(Exception):
    """A failure worth retrying later (a dependency is briefly away): the message is redelivered."""


class Unauthenticated(PlatformError):
    code = "unauthenticated"
    status = 401


class RateLimited(PlatformError):
    code = "rate_limited"
    status = 429
