"""Request rate limits: per client address and per signed-in user, in memory in each worker.

The per-client limit is a middleware, so it also covers requests that never authenticate; the
per-user limit is applied by `get_principal` once the token is verified, so a token's claims
count only when its signature does. Both answer `429 RATE_LIMITED` with `Retry-After`.

The caller's address comes from the one header the platform's proxy writes (CLIENT_IP_HEADER),
never from what a caller can choose: see docs/configuration.md#the-callers-address.
"""

import ipaddress
import math
import time
from collections import OrderedDict
from collections.abc import Callable

from starlette.types import ASGIApp, Receive, Scope, Send

from app.core.config import Settings
from app.core.errors import ErrorCode, ServiceError, error_response

# Platforms probe these every few seconds: a limit must never take an instance out of rotation.
EXEMPT_PATHS = frozenset({"/healthz", "/readyz", "/version"})
# Bounds each limit's memory; past it, the key seen longest ago is forgotten, and starts again
# with a full budget.
MAX_TRACKED_KEYS = 10_000
# An IPv6 client usually holds a whole /64: counted per address, it would have billions of budgets.
IPV6_PREFIX = 64

Clock = Callable[[], float]


class RateLimitedError(ServiceError):
    status_code = 429
    code = ErrorCode.RATE_LIMITED

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message, headers={"Retry-After": str(retry_after)})


class TokenBuckets:
    """`per_minute` requests a minute for each key.

    A token bucket: a full minute's budget may be spent at once, and it refills continuously.
    """

    def __init__(self, per_minute: int, clock: Clock, max_keys: int = MAX_TRACKED_KEYS) -> None:
        self.capacity = float(per_minute)
        self.refill_per_second = per_minute / 60
        self.clock = clock
        self.max_keys = max_keys
        # Key → (tokens left, when they were counted), the key used longest ago first.
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._buckets)

    def take(self, key: str) -> int:
        """Spend one request of the key's budget: 0 if allowed, else whole seconds to wait."""
        now = self.clock()
        # Popped and put back, so the key moves to the end: the most recently used.
        tokens, counted_at = self._buckets.pop(key, (self.capacity, now))
        tokens = min(self.capacity, tokens + (now - counted_at) * self.refill_per_second)
        allowed = tokens >= 1
        if allowed:
            tokens -= 1
        self._buckets[key] = (tokens, now)
        if len(self._buckets) > self.max_keys:
            self._buckets.popitem(last=False)
        if allowed:
            return 0
        wait = (1 - tokens) / self.refill_per_second
        # Less a nanosecond, so that float rounding (30.000000000000004) never adds a second.
        return max(1, math.ceil(wait - 1e-9))


class RateLimiter:
    """Both limits of one worker process; a limit of 0 is off."""

    def __init__(
        self,
        *,
        client_per_minute: int,
        user_per_minute: int,
        client_ip_header: str,
        clock: Clock = time.monotonic,
    ) -> None:
        self.clients = TokenBuckets(client_per_minute, clock) if client_per_minute else None
        self.users = TokenBuckets(user_per_minute, clock) if user_per_minute else None
        # ASGI gives header names in lower case.
        self._header = client_ip_header.lower().encode("latin-1")

    @classmethod
    def from_settings(cls, settings: Settings, clock: Clock = time.monotonic) -> "RateLimiter":
        return cls(
            client_per_minute=settings.rate_limit_client_per_minute,
            user_per_minute=settings.rate_limit_user_per_minute,
            client_ip_header=settings.client_ip_header,
            clock=clock,
        )

    def resolve_client(self, scope: Scope) -> str:
        """The key of the caller's address, also written to `scope["client"]` for what follows.

        The last address in the header counts: proxies add theirs at the end, after whatever
        the caller sent. Without a usable one, the connection's address (as uvicorn gives it).
        """
        value: bytes | None = None
        for name, header_value in scope["headers"]:
            if name == self._header:
                value = header_value
        if value is not None:
            address = _parsed_address(value.rsplit(b",", 1)[-1].strip().decode("latin-1"))
            if address is not None:
                scope["client"] = (str(address), 0)
                return _bucket_key(address)
        client = scope.get("client")
        host = str(client[0]) if client else "unknown"
        address = _parsed_address(host)
        # Not an address at all: a Unix socket's peer, or a test client's name.
        return _bucket_key(address) if address is not None else host

    def client_retry_after(self, key: str) -> int:
        return self.clients.take(key) if self.clients is not None else 0

    def check_user(self, user_id: str) -> None:
        if self.users is None:
            return
        retry_after = self.users.take(user_id)
        if retry_after:
            raise RateLimitedError(
                f"Too many requests for this user; retry in {retry_after} s.",
                retry_after=retry_after,
            )


def _parsed_address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def _bucket_key(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str:
    if address.version == 6:
        return str(ipaddress.ip_network((address, IPV6_PREFIX), strict=False))
    return str(address)


class RateLimitMiddleware:
    """Finds the caller's address and applies the per-client limit.

    Given the app's one limiter (`Resources.rate_limiter`), with which `get_principal` applies
    the per-user limit: both limits count on one clock.
    """

    def __init__(self, app: ASGIApp, limiter: RateLimiter) -> None:
        self.app = app
        self.limiter = limiter

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in EXEMPT_PATHS:
            await self.app(scope, receive, send)
            return
        retry_after = self.limiter.client_retry_after(self.limiter.resolve_client(scope))
        if not retry_after:
            await self.app(scope, receive, send)
            return
        response = error_response(
            status_code=429,
            code=ErrorCode.RATE_LIMITED,
            message=f"Too many requests from this address; retry in {retry_after} s.",
            request_id=str(scope.get("state", {}).get("request_id", "")),
            headers={"Retry-After": str(retry_after)},
        )
        await response(scope, receive, send)
