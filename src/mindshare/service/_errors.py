"""Every error the service answers with: a status code and a JSON body that says what to fix.

Request bodies and parameters that do not match the API are FastAPI's 422, whose
``detail`` lists each location and problem; everything else is ``ErrorBody``. No
response ever carries a stack trace or a path on the server.
"""

import logging
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from mindshare.core import (
    ConfigurationError,
    CurrencyMismatch,
    InputError,
    InvalidTransfer,
    LedgerError,
    MindshareError,
    NotFound,
    PeriodOverlap,
)

log = logging.getLogger("mindshare.service")


class ErrorBody(BaseModel):
    """What went wrong, for a person (``detail``) and for a program (``code``)."""

    detail: str
    code: str


class ApiError(Exception):
    """An answer other than success, raised anywhere in a request."""

    def __init__(
        self, status: int, code: str, detail: str, *, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.code = code
        self.detail = detail
        self.headers = headers


#: The error responses every world route may give, for the OpenAPI document.
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorBody, "description": "The request cannot be carried out as asked."},
    401: {"model": ErrorBody, "description": "No API key, or not a valid one."},
    403: {"model": ErrorBody, "description": "The key is for another world or lacks the scope."},
    404: {"model": ErrorBody, "description": "The world, person, item or account does not exist."},
    409: {"model": ErrorBody, "description": "It conflicts with what the store already holds."},
    413: {"model": ErrorBody, "description": "The body is larger than the service accepts."},
    415: {"model": ErrorBody, "description": "The body is not JSON."},
    429: {"model": ErrorBody, "description": "Too many requests for this key; see Retry-After."},
    503: {"model": ErrorBody, "description": "The service is at capacity; see Retry-After."},
}


def error_response(error: ApiError) -> JSONResponse:
    """The JSON answer for ``error``."""
    return JSONResponse(
        ErrorBody(detail=error.detail, code=error.code).model_dump(),
        status_code=error.status,
        headers=error.headers,
    )


def status_of(error: MindshareError) -> tuple[int, str]:
    """The status code and code word for an error the packages raised on purpose."""
    if isinstance(error, NotFound):
        return 404, "not_found"
    if isinstance(error, InvalidTransfer | CurrencyMismatch):
        return 400, error.rule
    if isinstance(error, LedgerError):
        # Funds, conflicting ids, pending transfers already resolved: the store says no.
        return 409, error.rule
    if isinstance(error, PeriodOverlap):
        return 409, "period_overlap"
    if isinstance(error, InputError):
        return 400, "invalid_input"
    if isinstance(error, ConfigurationError):
        return 400, "world_configuration"
    return 400, "refused"


def install_error_handlers(app: FastAPI) -> None:
    """Answer ``ApiError``, Mindshare's own errors and anything unexpected as JSON."""

    async def api_error(_request: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, ApiError)
        return error_response(error)

    async def mindshare_error(_request: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, MindshareError)
        status, code = status_of(error)
        return error_response(ApiError(status, code, str(error)))

    async def http_error(_request: Request, error: Exception) -> JSONResponse:
        # The framework's own refusals (an unparseable body, an unknown path, a method
        # the route lacks) answer in the same shape as ours.
        assert isinstance(error, StarletteHTTPException)
        code = HTTPStatus(error.status_code).phrase.lower().replace(" ", "_")
        headers = dict(error.headers) if error.headers else None
        return error_response(ApiError(error.status_code, code, error.detail, headers=headers))

    async def unexpected(request: Request, error: Exception) -> JSONResponse:
        log.exception("unexpected error in %s %s", request.method, request.url.path)
        return error_response(
            ApiError(500, "internal", "the service failed; the error is in its log")
        )

    app.add_exception_handler(ApiError, api_error)
    app.add_exception_handler(MindshareError, mindshare_error)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(Exception, unexpected)
