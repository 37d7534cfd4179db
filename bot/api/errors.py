"""Errors as `{"error": {"code", "message"}}` with the right status; the one place codes live.

Known failures keep their message (it says what to do); anything else becomes a generic 500
whose details go to the server log only, so a client never sees a stack trace.
"""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from bot.errors import BotError, ConfigError, GeneratorUnavailableError
from ingest.errors import IngestError, IngestLockedError
from vectorstore.errors import EmbedderError, ModelMismatchError, StoreUnavailableError

logger = logging.getLogger(__name__)

_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    500: "internal_error",
    503: "unavailable",
}

# (exception type, status, code); the first match wins, so subclasses come first.
_KNOWN: list[tuple[type[Exception], int, str]] = [
    (StoreUnavailableError, 503, "store_unavailable"),
    (ModelMismatchError, 503, "store_model_mismatch"),
    (EmbedderError, 503, "model_unavailable"),
    (GeneratorUnavailableError, 503, "llm_unavailable"),
    (IngestLockedError, 503, "ingest_busy"),
    (ConfigError, 503, "misconfigured"),
    (IngestError, 422, "ingest_failed"),
    (BotError, 500, "answer_failed"),
]


class ApiError(StarletteHTTPException):
    """An HTTP error with a machine-readable code, raised by routes and the auth dependency."""

    def __init__(
        self, status: int, message: str, *, code: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(status_code=status, detail=message, headers=headers)
        self.code = code or _CODES.get(status, "error")


def error_response(
    status: int, code: str, message: str, *, headers: dict[str, str] | None = None
) -> JSONResponse:
    return JSONResponse(
        {"error": {"code": code, "message": message}}, status_code=status, headers=headers
    )


def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    status = exc.status_code
    code = getattr(exc, "code", None) or _CODES.get(status, "error")
    message = exc.detail if isinstance(exc.detail, str) else HTTPStatus(status).phrase
    return error_response(status, code, message, headers=getattr(exc, "headers", None))


def validation_message(errors: Any) -> str:
    """`body.question: String should have at least 1 character; ...` (at most five problems)."""
    parts = []
    for err in list(errors)[:5]:
        where = ".".join(str(p) for p in err.get("loc", ()) if p not in ("body",)) or "body"
        parts.append(f"{where}: {err.get('msg', 'invalid')}")
    return "; ".join(parts) or "invalid request"


def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    return error_response(422, "validation_error", validation_message(exc.errors()))


def known_error(exc: BaseException) -> tuple[int, str] | None:
    """Status and code for a failure users can act on; None for a bug."""
    for kind, status, code in _KNOWN:
        if isinstance(exc, kind):
            return status, code
    return None


def _known_error(request: Request, exc: Exception) -> JSONResponse:
    status, code = known_error(exc) or (500, "internal_error")
    if status >= 500:
        logger.warning("%s %s failed: %s", request.method, request.url.path, exc)
    headers = {"Retry-After": "30"} if status == 503 else None
    return error_response(status, code, str(exc), headers=headers)


def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    logger.error("%s %s failed", request.method, request.url.path, exc_info=exc)
    return error_response(500, "internal_error", "internal error: the server log has the details")


def install_error_handlers(app: FastAPI) -> None:
    """Map every error to the JSON error shape."""
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    for kind, _, _ in _KNOWN:
        app.add_exception_handler(kind, _known_error)
    app.add_exception_handler(Exception, _unexpected)
