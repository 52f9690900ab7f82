"""Errors of the inference server. Each carries its HTTP status and the ``reason`` label that
``prediction_errors`` counts it under, so the HTTP layer maps any of them in one place."""

from __future__ import annotations


class ServeError(Exception):
    """Base of every error the server answers with; the message is sent to the client as is."""

    status = 500
    reason = "internal"


class BadRequest(ServeError):
    """The request cannot be used: invalid JSON, a missing or misshapen tensor, bad values."""

    status = 400
    reason = "bad_request"


class NotFound(ServeError):
    """No such route, model or version."""

    status = 404
    reason = "not_found"


class MethodNotAllowed(ServeError):
    """The route exists but not for this method; ``allow`` lists the methods it takes."""

    status = 405
    reason = "method_not_allowed"

    def __init__(self, method: str, allow: tuple[str, ...]) -> None:
        super().__init__(f"method {method} is not allowed here; use {' or '.join(allow)}")
        self.allow = allow


class TooLarge(ServeError):
    """The body is larger than ``--max-body-bytes``."""

    status = 413
    reason = "too_large"

    def __init__(self, limit: int) -> None:
        super().__init__(f"the request body is larger than the limit of {limit} bytes")


class NotReady(ServeError):
    """The model is still loading."""

    status = 503
    reason = "not_ready"
