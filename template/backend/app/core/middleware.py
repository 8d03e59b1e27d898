"""The request pipeline: ids, security headers, crash answers and one log line per request.

Written as pure ASGI (not BaseHTTPMiddleware) so it never buffers bodies and the request's
context variables stay visible to everything it wraps.
"""

import re
import time
import uuid

import structlog
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core.errors import ErrorCode, error_response, internal_error_response
from app.core.request_context import RequestIds, current_request
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


ID_HEADERS = frozenset({b"x-request-id", b"x-correlation-id"})


def _encoded(headers: dict[str, str]) -> list[tuple[bytes, bytes]]:
    return [(name.lower().encode(), value.encode()) for name, value in headers.items()]


def correlation_id_from(headers: Headers) -> str | None:
    """The caller's correlation id, if it is safe to log and forward; otherwise None."""
    value = headers.get("x-correlation-id")
    return value if value is not None and CORRELATION_ID.match(value) else None


class BodySizeLimitMiddleware:
    """Refuses request bodies larger than `max_bytes` with 413, without reading them whole.

    A declared Content-Length is refused at once; a chunked body is counted as it arrives.
    """

    def __init__(self, app: ASGIApp, *, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = Headers(scope=scope).get("content-length", "")
        if declared.isdigit() and int(declared) > self.max_bytes:
            response = error_response(
                status_code=413,
                code=ErrorCode.PAYLOAD_TOO_LARGE,
                message=f"The request body is larger than {self.max_bytes} bytes.",
                request_id=scope.get("state", {}).get("request_id", ""),
            )
            await response(scope, receive, send)
            return
        received = 0

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > self.max_bytes:
                raise HTTPException(
                    413, detail=f"The request body is larger than {self.max_bytes} bytes."
                )
            return message

        await self.app(scope, counting_receive, send)


class RequestContextMiddleware:
    def __init__(self, app: ASGIApp, *, hsts: bool) -> None:
        self.app = app
        # Encoded once: these are added to every response, on the hot path.
        defaults = {**SECURITY_HEADERS, **({"Strict-Transport-Security": HSTS} if hsts else {})}
        self._api_headers = _encoded({**defaults, "Content-Security-Policy": API_CSP})
        self._docs_headers = _encoded({**defaults, "Content-Security-Policy": DOCS_CSP})

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
                message["headers"] = self._with_headers(message, ids, scope["path"])
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        except Exception as exc:
            logger.exception("unhandled_exception", path=scope["path"])
            report_exception(exc)
            if response_started:
                raise
            await internal_error_response(request_id)(scope, receive, send_with_headers)
        finally:
            self._log_request(scope, status_code, started, state.get("user_id"))
            current_request.reset(token)

    def _with_headers(
        self, message: Message, ids: RequestIds, path: str
    ) -> list[tuple[bytes, bytes]]:
        """The response's headers, our ids, and each security header the route did not set."""
        headers = [
            (name, value)
            for name, value in message.get("headers", [])
            if name.lower() not in ID_HEADERS
        ]
        present = {name.lower() for name, _ in headers}
        defaults = self._docs_headers if path in DOCS_PATHS else self._api_headers
        headers += [(name, value) for name, value in defaults if name not in present]
        headers += [
            (b"x-request-id", ids.request_id.encode()),
            (b"x-correlation-id", ids.correlation_id.encode()),
        ]
        return headers

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
