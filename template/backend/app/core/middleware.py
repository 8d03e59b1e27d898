"""The request pipeline: ids, security headers, crash answers and one log line per request.

Written as pure ASGI (not BaseHTTPMiddleware) so it never buffers bodies and the request's
context variables stay visible to everything it wraps.
"""

import re
import time
import uuid

import sentry_sdk
import structlog
from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core.errors import internal_error_response
from app.core.request_context import RequestIds, current_request

logger = structlog.stdlib.get_logger("app.request")

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


def correlation_id_from(headers: Headers) -> str | None:
    """The caller's correlation id, if it is safe to log and forward; otherwise None."""
    value = headers.get("x-correlation-id")
    return value if value is not None and CORRELATION_ID.match(value) else None


class RequestContextMiddleware:
    def __init__(self, app: ASGIApp, *, hsts: bool) -> None:
        self.app = app
        self.hsts = hsts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        request_id = str(uuid.uuid4())
        ids = RequestIds(
            request_id=request_id,
            correlation_id=correlation_id_from(Headers(scope=scope)) or request_id,
        )
        state = scope.setdefault("state", {})
        state["request_id"] = request_id
        token = current_request.set(ids)
        started = time.perf_counter()
        status_code = 500
        response_started = False

        async def send_with_headers(message: Message) -> None:
            nonlocal status_code, response_started
            if message["type"] == "http.response.start":
                response_started = True
                status_code = message["status"]
                self._add_headers(MutableHeaders(scope=message), ids, scope["path"])
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        except Exception as exc:
            logger.exception("unhandled_exception", path=scope["path"])
            sentry_sdk.capture_exception(exc)
            if response_started:
                raise
            await internal_error_response(request_id)(scope, receive, send_with_headers)
        finally:
            self._log_request(scope, status_code, started, state.get("user_id"))
            current_request.reset(token)

    def _add_headers(self, headers: MutableHeaders, ids: RequestIds, path: str) -> None:
        headers["X-Request-ID"] = ids.request_id
        headers["X-Correlation-ID"] = ids.correlation_id
        for name, value in SECURITY_HEADERS.items():
            headers.setdefault(name, value)
        headers.setdefault("Content-Security-Policy", DOCS_CSP if path in DOCS_PATHS else API_CSP)
        if self.hsts:
            headers.setdefault("Strict-Transport-Security", HSTS)

    @staticmethod
    def _log_request(scope: Scope, status_code: int, started: float, user_id: object) -> None:
        fields: dict[str, object] = {
            "method": scope["method"],
            "path": scope["path"],
            "status": status_code,
            "duration_ms": round((time.perf_counter() - started) * 1000, 2),
        }
        if user_id is not None:
            fields["user_id"] = user_id
        if status_code >= 500:
            logger.error("request", **fields)
        elif status_code >= 400:
            logger.warning("request", **fields)
        else:
            logger.info("request", **fields)
