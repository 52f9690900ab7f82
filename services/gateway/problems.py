"""RFC 9457 problem details for every error the API returns."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from services.kit.errors import PlatformError

PROBLEM = "application/problem+json"
TITLES = {
    400: "Bad request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    415: "Unsupported media type",
    422: "Invalid request",
    429: "Too many requests",
    500: "Internal error",
    503: "Unavailable",
}


def problem(status: int, detail: str, code: str | None = None, **extra: Any) -> JSONResponse:
    body = {
        "type": f"/problems/{code or status}",
        "title": TITLES.get(status, "Error"),
        "status": status,
        "detail": detail,
        **({"code": code} if code else {}),
        **{k: v for k, v in extra.items() if v is not None},
    }
    return JSONResponse(body, status_code=status, media_type=PROBLEM)


def _field(loc: tuple[Any, ...]) -> str:
    # Names are the client's own input (an unknown key could be anything, even a secret pasted
    # in the wrong place): keep them short.
    parts = [str(p) if len(str(p)) <= 40 else str(p)[:12] + "…" for p in loc]
    if parts and parts[0] in {"body", "query", "path", "header", "cookie"}:
        parts = parts[1:] if parts[0] == "body" else parts
    return ".".join(parts) or "body"


async def _validation(_request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, RequestValidationError)
    errors = [{"field": _field(e["loc"]), "message": _message(e)} for e in error.errors()]
    detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors[:5])
    return problem(
        422, detail, "invalid_request", field=errors[0]["field"] if errors else None, errors=errors
    )


def _message(error: Any) -> str:
    """Pydantic's message without its 'Value error, ' prefix (our validators' own words)."""
    message: str = error["msg"]
    return message.removeprefix("Value error, ")


async def _platform(_request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, PlatformError)
    response = problem(error.status, error.reason, error.code, field=error.field)
    if error.status == 429:
        response.headers["Retry-After"] = "60"
    return response


async def _http(_request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, HTTPException)
    return problem(error.status_code, str(error.detail))


def install(app: FastAPI) -> None:
    """Answer every error with problem+json."""
    app.add_exception_handler(RequestValidationError, _validation)
    app.add_exception_handler(PlatformError, _platform)
    app.add_exception_handler(HTTPException, _http)
