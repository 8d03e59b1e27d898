"""The one error shape of the API, and the only place that builds error responses.

Handlers and services raise `ServiceError` (or let FastAPI raise its own errors); this
module turns every failure into `{error, message, code, request_id}`.
"""

from collections.abc import Callable, Coroutine, Mapping
from enum import StrEnum
from http import HTTPStatus
from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException

from app.models.errors import ErrorDetail, ErrorResponse


class ErrorCode(StrEnum):
    BAD_REQUEST = "BAD_REQUEST"
    UNAUTHORIZED = "UNAUTHORIZED"
    FORBIDDEN = "FORBIDDEN"
    NOT_FOUND = "NOT_FOUND"
    METHOD_NOT_ALLOWED = "METHOD_NOT_ALLOWED"
    CONFLICT = "CONFLICT"
    PAYLOAD_TOO_LARGE = "PAYLOAD_TOO_LARGE"
    VALIDATION_ERROR = "VALIDATION_ERROR"
    RATE_LIMITED = "RATE_LIMITED"
    HTTP_ERROR = "HTTP_ERROR"
    INTERNAL_ERROR = "INTERNAL_ERROR"
    SERVICE_UNAVAILABLE = "SERVICE_UNAVAILABLE"
    SERVICE_NOT_CONFIGURED = "SERVICE_NOT_CONFIGURED"
    UPSTREAM_UNAVAILABLE = "UPSTREAM_UNAVAILABLE"
    # Codes, not secrets: the linter reads "TOKEN" in a name as a password.
    AUTH_MISSING_TOKEN = "AUTH_MISSING_TOKEN"  # noqa: S105
    AUTH_EXPIRED_TOKEN = "AUTH_EXPIRED_TOKEN"  # noqa: S105
    AUTH_INVALID_TOKEN = "AUTH_INVALID_TOKEN"  # noqa: S105
    AUTH_NOT_CONFIGURED = "AUTH_NOT_CONFIGURED"
    AUTH_UNAVAILABLE = "AUTH_UNAVAILABLE"
    DATABASE_UNAVAILABLE = "DATABASE_UNAVAILABLE"
    DATABASE_OUTCOME_UNKNOWN = "DATABASE_OUTCOME_UNKNOWN"
    ENTITY_NOT_FOUND = "ENTITY_NOT_FOUND"


HTTP_STATUS_CODES: Mapping[int, ErrorCode] = {
    400: ErrorCode.BAD_REQUEST,
    401: ErrorCode.UNAUTHORIZED,
    403: ErrorCode.FORBIDDEN,
    404: ErrorCode.NOT_FOUND,
    405: ErrorCode.METHOD_NOT_ALLOWED,
    409: ErrorCode.CONFLICT,
    413: ErrorCode.PAYLOAD_TOO_LARGE,
    422: ErrorCode.VALIDATION_ERROR,
    429: ErrorCode.RATE_LIMITED,
    500: ErrorCode.INTERNAL_ERROR,
    503: ErrorCode.SERVICE_UNAVAILABLE,
}


class ServiceError(Exception):
    """A failure the client should hear about: a status, a stable code and a safe message."""

    status_code: int = 500
    code: str = ErrorCode.INTERNAL_ERROR

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        status_code: int | None = None,
        headers: Mapping[str, str] | None = None,
        details: list[ErrorDetail] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.details = details
        if status_code is not None:
            self.status_code = status_code
            self.code = HTTP_STATUS_CODES.get(status_code, ErrorCode.HTTP_ERROR)
        self.code = code or self.code
        self.headers = dict(headers or {})


class NotFoundError(ServiceError):
    status_code = 404
    code = ErrorCode.NOT_FOUND


class ConflictError(ServiceError):
    status_code = 409
    code = ErrorCode.CONFLICT


class ServiceUnavailableError(ServiceError):
    status_code = 503
    code = ErrorCode.SERVICE_UNAVAILABLE


class ServiceNotConfiguredError(ServiceError):
    status_code = 503
    code = ErrorCode.SERVICE_NOT_CONFIGURED


class UpstreamUnavailableError(ServiceError):
    status_code = 503
    code = ErrorCode.UPSTREAM_UNAVAILABLE


def _reason_phrase(status_code: int) -> str:
    try:
        return HTTPStatus(status_code).phrase
    except ValueError:  # a status outside the standard list, such as 499
        return "Error"


def error_response(
    *,
    status_code: int,
    code: str,
    message: str,
    request_id: str,
    details: list[ErrorDetail] | None = None,
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    body = ErrorResponse(
        error=_reason_phrase(status_code),
        message=message,
        code=code,
        request_id=request_id,
        details=details,
    )
    return JSONResponse(
        body.model_dump(exclude_none=True), status_code=status_code, headers=headers
    )


def internal_error_response(request_id: str) -> JSONResponse:
    """The answer to an unexpected exception: nothing about its cause leaves the service."""
    return error_response(
        status_code=500,
        code=ErrorCode.INTERNAL_ERROR,
        message="An unexpected error occurred.",
        request_id=request_id,
    )


def _request_id(request: Request) -> str:
    return str(request.scope.get("state", {}).get("request_id", ""))


async def handle_service_error(request: Request, exc: ServiceError) -> JSONResponse:
    return error_response(
        status_code=exc.status_code,
        code=exc.code,
        message=exc.message,
        request_id=_request_id(request),
        details=exc.details,
        headers=exc.headers,
    )


async def handle_http_exception(request: Request, exc: HTTPException) -> JSONResponse:
    return error_response(
        status_code=exc.status_code,
        code=HTTP_STATUS_CODES.get(exc.status_code, ErrorCode.HTTP_ERROR),
        message=exc.detail if isinstance(exc.detail, str) else _reason_phrase(exc.status_code),
        request_id=_request_id(request),
        headers=exc.headers,
    )


def _field(location: tuple[Any, ...]) -> str:
    return ".".join(str(part) for part in location)


async def handle_validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
    details = [
        ErrorDetail(field=_field(error["loc"]), message=error["msg"], type=error["type"])
        for error in exc.errors()
    ]
    return error_response(
        status_code=422,
        code=ErrorCode.VALIDATION_ERROR,
        message="The request is invalid; see details.",
        request_id=_request_id(request),
        details=details,
    )


# Unexpected exceptions are not listed: the request middleware, which wraps everything, answers
# them, so that even a crash carries the request's id.
ExceptionHandler = Callable[[Request, Any], Coroutine[Any, Any, Response]]
EXCEPTION_HANDLERS: dict[int | type[Exception], ExceptionHandler] = {
    ServiceError: handle_service_error,
    HTTPException: handle_http_exception,
    RequestValidationError: handle_validation_error,
}
