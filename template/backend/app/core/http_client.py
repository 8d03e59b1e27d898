"""Calls to other services: one shared connection pool, retries, a circuit breaker per service.

A target service is configured by a `<SERVICE>_URL` setting; see docs/service-calls.md.
httpx and stamina are read from app.core.libraries: a starting service answers /healthz
without them.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from http.cookiejar import CookieJar
from typing import Any

import structlog

from app.core import libraries
from app.core.config import Settings
from app.core.errors import (
    ServiceNotConfiguredError,
    ServiceUnavailableError,
    UpstreamUnavailableError,
)
from app.core.request_context import current_request

logger = structlog.get_logger(__name__)

RETRY_STATUSES = frozenset({502, 503, 504})
# Sending one of these twice has the effect of sending it once (RFC 9110, 9.2.2).
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})


class CircuitBreaker:
    """Opens after `failure_threshold` failures within `window_seconds`.

    While open, calls fail at once. After `open_seconds` one trial call is let through:
    success closes the breaker, failure opens it again.
    """

    def __init__(
        self,
        *,
        failure_threshold: int,
        window_seconds: float,
        open_seconds: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.failure_threshold = failure_threshold
        self.window_seconds = window_seconds
        self.open_seconds = open_seconds
        self._clock = clock
        self._failures: deque[float] = deque()
        self._opened_at: float | None = None
        self._trial_running = False

    @property
    def is_open(self) -> bool:
        return self._opened_at is not None

    def allow_request(self) -> bool:
        if self._opened_at is None:
            return True
        if self._trial_running or self._clock() - self._opened_at < self.open_seconds:
            return False
        self._trial_running = True
        return True

    def release_trial(self) -> None:
        """Forget a trial call that ended without telling whether the service recovered."""
        self._trial_running = False

    def record_success(self) -> None:
        self._failures.clear()
        self._opened_at = None
        self._trial_running = False

    def record_failure(self) -> None:
        now = self._clock()
        if self._trial_running:
            self._trial_running = False
            self._opened_at = now
            return
        self._failures.append(now)
        while self._failures and now - self._failures[0] > self.window_seconds:
            self._failures.popleft()
        if len(self._failures) >= self.failure_threshold:
            self._opened_at = now
            self._failures.clear()


class _GatewayError(Exception):
    def __init__(self, response: libraries.httpx.Response) -> None:
        super().__init__(f"upstream answered {response.status_code}")
        self.response = response


def _can_be_resent(method: str, headers: Mapping[str, str]) -> bool:
    """Whether a request that may have reached the service can safely be sent again."""
    has_idempotency_key = any(name.lower() == "idempotency-key" for name in headers)
    return method.upper() in IDEMPOTENT_METHODS or has_idempotency_key


def _retry_after_seconds(response: libraries.httpx.Response) -> float | None:
    """The wait a Retry-After header asks for (RFC 9110, 10.2.3); None if absent or unreadable."""
    value = response.headers.get("Retry-After", "").strip()
    if value.isascii() and value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except ValueError:
        return None
    if when.tzinfo is None:  # the obsolete asctime form names no zone; HTTP dates are in GMT
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


class ServiceClient:
    """Sends requests to one service; used through `ServiceClients.get(name)`."""

    def __init__(
        self,
        name: str,
        base_url: str,
        http: libraries.httpx.AsyncClient,
        breaker: CircuitBreaker,
        settings: Settings,
    ) -> None:
        self.name = name
        self.base_url = base_url.rstrip("/")
        self._http = http
        self._breaker = breaker
        self._settings = settings

    async def request(self, method: str, path: str, **kwargs: Any) -> libraries.httpx.Response:
        """Send one request, retrying with backoff what is safe to repeat (docs/service-calls.md).

        Connection errors are retried for every method; 502/503/504 only for idempotent methods
        and requests with an Idempotency-Key. Raises ServiceUnavailableError while the breaker is
        open, and UpstreamUnavailableError when the service still fails after the retries.
        """
        if not self._breaker.allow_request():
            raise ServiceUnavailableError(f"{self.name} is unavailable; try again later.")
        headers = {**_propagated_headers(), **kwargs.pop("headers", {})}
        url = f"{self.base_url}/{path.lstrip('/')}"
        try:
            response = await self._send_with_retries(method, url, headers=headers, **kwargs)
        except (_GatewayError, libraries.httpx.TransportError) as exc:
            self._breaker.record_failure()
            logger.warning(
                "upstream_failed",
                upstream=self.name,
                method=method,
                path=path,
                error=str(exc),
                breaker_open=self._breaker.is_open,
            )
            raise UpstreamUnavailableError(f"{self.name} did not answer successfully.") from exc
        except BaseException:
            # Cancelled, or failed in our own code: the upstream's health is still unknown.
            self._breaker.release_trial()
            raise
        self._breaker.record_success()
        return response

    async def _send_with_retries(
        self, method: str, url: str, *, headers: dict[str, str], **kwargs: Any
    ) -> libraries.httpx.Response:
        httpx = libraries.httpx
        settings = self._settings
        can_be_resent = _can_be_resent(method, headers)

        def retry_or_wait(exc: Exception) -> bool | float:
            """False: give up. True: retry after the backoff. A number: retry after that wait."""
            if isinstance(exc, (httpx.ConnectError, httpx.ConnectTimeout)):
                # Raised before the request was sent: safe to repeat for any method.
                return True
            # A gateway may answer 502/503/504 after the service has started the work.
            if isinstance(exc, _GatewayError) and can_be_resent:
                retry_after = _retry_after_seconds(exc.response)
                if retry_after is None:
                    return True
                return min(retry_after, settings.http_retry_backoff_max_seconds)
            return False

        async for attempt in libraries.stamina.retry_context(
            on=retry_or_wait,
            attempts=settings.http_retry_attempts,
            timeout=None,
            wait_initial=settings.http_retry_backoff_seconds,
            wait_max=settings.http_retry_backoff_max_seconds,
            wait_jitter=settings.http_retry_backoff_seconds,
        ):
            with attempt:
                response = await self._http.request(method, url, headers=headers, **kwargs)
                if response.status_code in RETRY_STATUSES:
                    raise _GatewayError(response)
                return response
        raise AssertionError("unreachable: stamina raises after the last attempt")

    async def get(self, path: str, **kwargs: Any) -> libraries.httpx.Response:
        return await self.request("GET", path, **kwargs)

    async def post(self, path: str, **kwargs: Any) -> libraries.httpx.Response:
        return await self.request("POST", path, **kwargs)

    async def put(self, path: str, **kwargs: Any) -> libraries.httpx.Response:
        return await self.request("PUT", path, **kwargs)

    async def patch(self, path: str, **kwargs: Any) -> libraries.httpx.Response:
        return await self.request("PATCH", path, **kwargs)

    async def delete(self, path: str, **kwargs: Any) -> libraries.httpx.Response:
        return await self.request("DELETE", path, **kwargs)


def _propagated_headers() -> dict[str, str]:
    ids = current_request.get()
    if ids is None:
        return {}
    return {"X-Request-ID": ids.request_id, "X-Correlation-ID": ids.correlation_id}


class NoCookieJar(CookieJar):
    """Keeps no cookie: one client calls for every user, so a cookie that a service set in
    answer to one user's call must never go out with another user's."""

    def extract_cookies(self, *_: object) -> None:
        return None


class SharedHttpClient:
    """The process-wide connection pool, shared by service calls and Supabase: httpx's API,
    aiohttp's pool underneath (app/core/aiohttp_transport.py).

    Opened by the first call that needs it, not at startup: opening it loads the CA bundle into
    a TLS context, which would delay the first answer to /healthz by about 0.1 s.
    """

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._client: libraries.httpx.AsyncClient | None = None

    def get(self) -> libraries.httpx.AsyncClient:
        # No lock needed: opening the pool does not await, so no other task can run meanwhile.
        if self._client is None:
            httpx = libraries.httpx
            settings = self._settings
            self._client = libraries.aiohttp_transport.AiohttpClient(
                timeout=httpx.Timeout(
                    settings.http_read_timeout_seconds,
                    connect=settings.http_connect_timeout_seconds,
                ),
                transport=libraries.aiohttp_transport.AiohttpTransport(
                    max_connections=100,
                    keepalive_seconds=settings.http_keepalive_seconds,
                    ssl_context=httpx.create_ssl_context(),
                ),
                headers={"User-Agent": f"{settings.service_name}/{settings.service_version}"},
                cookies=NoCookieJar(),
            )
        return self._client

    async def aclose(self) -> None:
        """Close the pool, if it was opened; an app started again opens a new one."""
        client, self._client = self._client, None
        if client is not None:
            await client.aclose()


class ServiceClients:
    """Clients for other services, over the shared pool (which the lifespan owns and closes)."""

    def __init__(self, settings: Settings, http: SharedHttpClient) -> None:
        self._settings = settings
        self._http = http
        self._breakers: dict[str, CircuitBreaker] = {}

    def get(self, service: str) -> ServiceClient:
        base_url = self._settings.service_url(service)
        if base_url is None:
            setting = f"{service.upper().replace('-', '_')}_URL"
            raise ServiceNotConfiguredError(f"{service} is not configured (set {setting}).")
        breaker = self._breakers.setdefault(
            service,
            CircuitBreaker(
                failure_threshold=self._settings.breaker_failure_threshold,
                window_seconds=self._settings.breaker_window_seconds,
                open_seconds=self._settings.breaker_open_seconds,
            ),
        )
        return ServiceClient(service, base_url, self._http.get(), breaker, self._settings)
