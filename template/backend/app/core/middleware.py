"""The request pipeline: ids, security headers, body size limit, crash answers, one log line.

Written as pure ASGI (not BaseHTTPMiddleware) so it never buffers bodies and the request's
context variables stay visible to everything it wraps.
"""

import logging
import re
import time

import structlog
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core.errors import ErrorCode, error_response, internal_error_response
from app.core.logging import request_logger
from app.core.request_context import (
    RequestIds,
    RequestUser,
    current_request,
    current_user,
    new_request_id,
)
from app.core.sentry import report_exception

logger = structlog.get_logger("app.request")

CORRELATION_ID = re.compile(r"^[A-Za-z0-9._-]{1,128}$")
API_CSP = "default-src 'none'; frame-ancestors 'none'"
# The interactive docs load Swagger UI's script, style and logo from its CDN.
DOCS_CSP = (
    "default-src 'none'; frame-ancestors 'none'; connect-src 'self'; "
    "script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
    "style-src 'self' https://cdn.jsdelivr.net; img-src 'self' data: https://fastapi.tiangolo.com"
)
DOCS_PATHS = frozenset({"/docs", "/docs/oauth2-redirect"})
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    # Legacy XSS filters create vulnerabilities of their own; the CSP does this job.
    "X-XSS-Protection": "0",
    "Referrer-Policy": "no-referrer",
    "Permissions-Policy": "camera=(), geolocation=(), microphone=(), payment=(), usb=()",
}
HSTS = "max-age=63072000; includeSubDomains"
# Platforms and load balancers call these every few seconds: their healthy answers are logged at
# debug, or they would bury the real traffic (and cost log storage). Failures still show.
PROBE_PATHS = frozenset({"/healthz", "/readyz"})


ID_HEADERS = frozenset({b"x-request-id", b"x-correlation-id"})


def _encoded(headers: dict[str, str]) -> list[tuple[bytes, bytes]]:
    return [(name.lower().encode(), value.encode()) for name, value in headers.items()]


def _read_headers(scope: Scope) -> tuple[str | None, bytes]:
    """The caller's correlation id (if safe to log and forward) and declared Content-Length."""
    correlation_id: str | None = None
    declared = b""
    for name, value in scope["headers"]:
        # The first of a repeated header counts, as with Starlette's Headers.
        if name == b"content-length" and not declared:
            declared = value
        elif name == b"x-correlation-id" and correlation_id is None:
            correlation_id = value.decode("latin-1")
    if correlation_id is not None and not CORRELATION_ID.match(correlation_id):
        correlation_id = None
    return correlation_id, declared


class RequestContextMiddleware:
    """Ids, security headers, the body size limit, crash answers and the request log line.

    One layer rather than several: each ASGI layer costs every request a call and a closure.
    A body over `max_body_bytes` is refused with 413 without being read whole: at once when
    Content-Length declares it, otherwise as soon as the chunks received pass the limit.
    """

    def __init__(self, app: ASGIApp, *, hsts: bool, max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self._too_large = f"The request body is larger than {max_body_bytes} bytes."
        # Encoded once: these are added to every response, on the hot path.
        defaults = {**SECURITY_HEADERS, **({"Strict-Transport-Security": HSTS} if hsts else {})}
        self._api_headers = _encoded({**defaults, "Content-Security-Policy": API_CSP})
        self._docs_headers = _encoded({**defaults, "Content-Security-Policy": DOCS_CSP})
        self._managed = ID_HEADERS | {name for name, _ in self._api_headers}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        request_id = new_request_id()
        correlation_id, declared = _read_headers(scope)
        ids = RequestIds(request_id=request_id, correlation_id=correlation_id or request_id)
        state = scope.setdefault("state", {})
        state["request_id"] = request_id
        token = current_request.set(ids)
        user = RequestUser()
        user_token = current_user.set(user)
        started = time.perf_counter()
        status_code = 500
        response_started = False
        received = 0

        async def send_with_headers(message: Message) -> None:
            nonlocal status_code, response_started
            if message["type"] == "http.response.start":
                response_started = True
                status_code = message["status"]
                message["headers"] = self._with_headers(message, ids, scope["path"])
            await send(message)

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > self.max_body_bytes:
                raise HTTPException(413, detail=self._too_large)
            return message

        try:
            if declared.isdigit() and int(declared) > self.max_body_bytes:
                response = error_response(
                    status_code=413,
                    code=ErrorCode.PAYLOAD_TOO_LARGE,
                    message=self._too_large,
                    request_id=request_id,
                )
                await response(scope, receive, send_with_headers)
            else:
                await self.app(scope, limited_receive, send_with_headers)
        except Exception as exc:
            logger.exception("unhandled_exception", path=scope["path"])
            report_exception(exc)
            if response_started:
                raise
            await internal_error_response(request_id)(scope, receive, send_with_headers)
        finally:
            self._log_request(scope, status_code, started, user.user_id)
            current_user.reset(user_token)
            current_request.reset(token)

    def _with_headers(
        self, message: Message, ids: RequestIds, path: str
    ) -> list[tuple[bytes, bytes]]:
        """The response's headers, our ids, and each security header the route did not set."""
        headers: list[tuple[bytes, bytes]] = message.get("headers", [])
        defaults = self._docs_headers if path in DOCS_PATHS else self._api_headers
        present = {name.lower() for name, _ in headers}
        if present.isdisjoint(self._managed):
            # The usual case: the route set none of them, so nothing needs filtering.
            headers = [*headers, *defaults]
        else:
            headers = [(name, value) for name, value in headers if name.lower() not in ID_HEADERS]
            headers += [(name, value) for name, value in defaults if name not in present]
        headers += [
            (b"x-request-id", ids.request_id.encode()),
            (b"x-correlation-id", ids.correlation_id.encode()),
        ]
        return headers

    @staticmethod
    def _log_request(scope: Scope, status_code: int, started: float, user_id: str | None) -> None:
        if status_code >= 500:
            level = logging.ERROR
        elif status_code >= 400:
            level = logging.WARNING
        elif scope["path"] in PROBE_PATHS:
            level = logging.DEBUG
        else:
            level = logging.INFO
        log = request_logger()
        # Checked first: at the default level, every healthy probe stops here.
        if not log.is_enabled_for(level):
            return
        fields: dict[str, object] = {
            "method": scope["method"],
            "path": scope["path"],
            "status": status_code,
            "duration_ms": round((time.perf_counter() - started) * 1000, 2),
        }
        if user_id is not None:
            fields["user_id"] = user_id
        log.log(level, "request", **fields)
