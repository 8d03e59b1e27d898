import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import anyio
import httpx2
import pytest
import uvicorn
from fastapi.testclient import TestClient

from app.api.deps import ServiceClientsDep
from app.core.config import Settings
from app.core.errors import ServiceUnavailableError, UpstreamUnavailableError
from app.core.http_client import CircuitBreaker, ServiceClients, SharedHttpClient
from app.core.request_context import RequestIds, current_request
from app.main import create_app
from scripts.local_stack.postgres import free_port
from tests.upstream import Upstream, server_closing_reused_connections

pytestmark = pytest.mark.anyio


class SettingsWithUpstream(Settings):
    """A service that calls one other service, the way a project declares it."""

    inventory_url: str | None = None


def upstream_settings(url: str | None, **values: Any) -> SettingsWithUpstream:
    defaults: dict[str, Any] = {
        "http_retry_backoff_seconds": 0.001,
        "http_retry_backoff_max_seconds": 0.001,
        "breaker_open_seconds": 0.2,
    }
    return SettingsWithUpstream(_env_file=None, inventory_url=url, **(defaults | values))


@asynccontextmanager
async def service_clients(settings: Settings) -> AsyncIterator[ServiceClients]:
    """Clients over a pool of their own, closed afterwards (in the app, the lifespan does it)."""
    http = SharedHttpClient(settings)
    try:
        yield ServiceClients(settings, http)
    finally:
        await http.aclose()


@pytest.fixture
async def clients(upstream: Upstream) -> AsyncIterator[ServiceClients]:
    async with service_clients(upstream_settings(upstream.url)) as created:
        yield created


async def test_a_successful_call_returns_the_response(
    clients: ServiceClients, upstream: Upstream
) -> None:
    response = await clients.get("inventory").get("/items/7")

    assert response.status_code == 200
    assert [request.path for request in upstream.requests] == ["/items/7"]
    assert upstream.requests[0].headers["user-agent"].endswith("/0.1.0")


async def test_request_ids_are_propagated(clients: ServiceClients, upstream: Upstream) -> None:
    token = current_request.set(RequestIds(request_id="req-1", correlation_id="order-9"))
    try:
        await clients.get("inventory").post("/reservations", json={"item": 7})
    finally:
        current_request.reset(token)

    headers = upstream.requests[0].headers
    assert headers["x-request-id"] == "req-1"
    assert headers["x-correlation-id"] == "order-9"


@pytest.mark.parametrize("status", [502, 503, 504])
async def test_gateway_errors_are_retried(
    clients: ServiceClients, upstream: Upstream, status: int
) -> None:
    upstream.statuses.extend([status, status])

    response = await clients.get("inventory").get("/items")

    assert response.status_code == 200
    assert len(upstream.requests) == 3


@pytest.mark.parametrize("status", [400, 404, 409, 500])
async def test_other_errors_are_returned_without_retry(
    clients: ServiceClients, upstream: Upstream, status: int
) -> None:
    upstream.statuses.append(status)

    response = await clients.get("inventory").get("/items")

    assert response.status_code == status
    assert len(upstream.requests) == 1


async def test_a_cookie_set_by_a_service_is_never_sent_back(
    clients: ServiceClients, upstream: Upstream
) -> None:
    """The client is shared by every user's calls: a cookie kept would reach the next user."""
    upstream.answer_headers = {"Set-Cookie": "session=user-a; Path=/"}
    inventory = clients.get("inventory")

    first = await inventory.get("/items")
    await inventory.get("/items")

    assert first.headers["set-cookie"] == "session=user-a; Path=/"
    assert "cookie" not in upstream.requests[1].headers


async def test_retries_are_bounded(clients: ServiceClients, upstream: Upstream) -> None:
    upstream.statuses.extend([503] * 10)

    with pytest.raises(UpstreamUnavailableError) as error:
        await clients.get("inventory").get("/items")

    assert len(upstream.requests) == 3
    assert error.value.status_code == 503
    assert error.value.code == "UPSTREAM_UNAVAILABLE"


async def test_connection_errors_are_retried_then_reported() -> None:
    async with service_clients(upstream_settings(f"http://127.0.0.1:{free_port()}")) as clients:
        with pytest.raises(UpstreamUnavailableError):
            await clients.get("inventory").get("/items")


@pytest.mark.parametrize("method", ["POST", "PATCH"])
async def test_a_gateway_error_is_not_resent_for_a_method_that_is_not_idempotent(
    clients: ServiceClients, upstream: Upstream, method: str
) -> None:
    upstream.statuses.append(504)

    with pytest.raises(UpstreamUnavailableError):
        await clients.get("inventory").request(method, "/charge", json={"cents": 500})

    assert len(upstream.requests) == 1


async def test_a_post_with_an_idempotency_key_is_retried(
    clients: ServiceClients, upstream: Upstream
) -> None:
    upstream.statuses.extend([504, 504])

    response = await clients.get("inventory").post(
        "/charge", json={"cents": 500}, headers={"Idempotency-Key": "charge-42"}
    )

    assert response.status_code == 200
    assert [request.headers["idempotency-key"] for request in upstream.requests] == [
        "charge-42"
    ] * 3


@pytest.mark.parametrize("method", ["GET", "HEAD", "OPTIONS", "PUT", "DELETE"])
async def test_idempotent_methods_are_retried(
    clients: ServiceClients, upstream: Upstream, method: str
) -> None:
    upstream.statuses.extend([504, 504])

    response = await clients.get("inventory").request(method, "/items/7")

    assert response.status_code == 200
    assert [request.method for request in upstream.requests] == [method] * 3


async def test_a_post_is_retried_when_no_connection_could_be_opened() -> None:
    backoff = {"http_retry_backoff_seconds": 0.1, "http_retry_backoff_max_seconds": 0.1}
    settings = upstream_settings(f"http://127.0.0.1:{free_port()}", **backoff)
    async with service_clients(settings) as clients:
        started = time.monotonic()
        with pytest.raises(UpstreamUnavailableError):
            await clients.get("inventory").post("/charge")

    # Each connection is refused at once, so the time spent is the waits between the 3 attempts.
    assert time.monotonic() - started >= 0.2


async def test_each_method_has_a_helper(clients: ServiceClients, upstream: Upstream) -> None:
    inventory = clients.get("inventory")

    await inventory.get("/items/7")
    await inventory.post("/items", json={"name": "lamp"})
    await inventory.put("/items/7", json={"name": "lamp"})
    await inventory.patch("/items/7", json={"name": "desk lamp"})
    await inventory.delete("/items/7")

    assert [(request.method, request.path) for request in upstream.requests] == [
        ("GET", "/items/7"),
        ("POST", "/items"),
        ("PUT", "/items/7"),
        ("PATCH", "/items/7"),
        ("DELETE", "/items/7"),
    ]


async def time_a_retried_call(upstream: Upstream, retry_after: str, **values: Any) -> float:
    """Answer 503 with this Retry-After, then 200; return how long the call took."""
    upstream.statuses.append(503)
    upstream.answer_headers["Retry-After"] = retry_after
    async with service_clients(upstream_settings(upstream.url, **values)) as clients:
        started = time.monotonic()
        response = await clients.get("inventory").get("/items")
        elapsed = time.monotonic() - started

    assert response.status_code == 200
    assert len(upstream.requests) == 2
    return elapsed


IN_A_DAY = datetime.now(UTC) + timedelta(days=1)


@pytest.mark.parametrize(
    "retry_after",
    [
        "2",
        format_datetime(IN_A_DAY, usegmt=True),
        IN_A_DAY.strftime("%a %b %d %H:%M:%S %Y"),  # the obsolete asctime form, with no zone
    ],
    # Not the dates themselves: every xdist worker must collect the same test ids.
    ids=["seconds", "http-date", "asctime"],
)
async def test_retry_after_is_waited_but_never_longer_than_the_backoff_cap(
    upstream: Upstream, retry_after: str
) -> None:
    elapsed = await time_a_retried_call(upstream, retry_after, http_retry_backoff_max_seconds=0.2)

    assert 0.2 <= elapsed < 1.5


async def test_a_retry_after_of_zero_is_retried_without_the_backoff(upstream: Upstream) -> None:
    backoff = {"http_retry_backoff_seconds": 1.0, "http_retry_backoff_max_seconds": 1.0}

    elapsed = await time_a_retried_call(upstream, "0", **backoff)

    assert elapsed < 0.5


@pytest.mark.parametrize("retry_after", ["soon", "-1", "1.5"])
async def test_an_unreadable_retry_after_falls_back_to_the_backoff(
    upstream: Upstream, retry_after: str
) -> None:
    backoff = {"http_retry_backoff_seconds": 0.2, "http_retry_backoff_max_seconds": 0.2}

    elapsed = await time_a_retried_call(upstream, retry_after, **backoff)

    assert 0.2 <= elapsed < 1.5


@asynccontextmanager
async def breaker_opened(upstream: Upstream) -> AsyncIterator[ServiceClients]:
    """Clients whose inventory breaker is open: five calls failed, the default threshold."""
    async with service_clients(upstream_settings(upstream.url, http_retry_attempts=1)) as clients:
        upstream.statuses.extend([503] * 5)
        for _ in range(5):
            with pytest.raises(UpstreamUnavailableError):
                await clients.get("inventory").get("/items")
        yield clients


async def test_the_breaker_opens_fails_fast_and_recovers(upstream: Upstream) -> None:
    async with breaker_opened(upstream) as clients:
        with pytest.raises(ServiceUnavailableError) as error:
            await clients.get("inventory").get("/items")
        assert error.value.code == "SERVICE_UNAVAILABLE"
        assert len(upstream.requests) == 5

        await anyio.sleep(0.25)
        response = await clients.get("inventory").get("/items")
        assert response.status_code == 200
        assert len(upstream.requests) == 6


async def test_an_idle_connection_is_not_reused_once_the_server_may_drop_it() -> None:
    with server_closing_reused_connections() as url:
        settings = upstream_settings(url, http_keepalive_seconds=0.05)
        async with service_clients(settings) as clients:
            inventory = clients.get("inventory")
            await inventory.get("/items")
            await anyio.sleep(0.1)

            response = await inventory.get("/items")

    assert response.status_code == 200


def test_idle_connections_are_dropped_before_a_uvicorn_server_would_drop_them() -> None:
    uvicorn_idle_timeout = uvicorn.Config(app="app.main:app").timeout_keep_alive

    assert upstream_settings(None).http_keepalive_seconds < uvicorn_idle_timeout


def call_inventory_through_the_api(settings: Settings) -> httpx2.Response:
    """Serve one route that calls the inventory service, and request it."""
    app = create_app(settings)

    @app.get("/api/v1/stock")
    async def stock(clients: ServiceClientsDep) -> None:
        await clients.get("inventory").get("/items")

    with TestClient(app) as client:
        return client.get("/api/v1/stock")


def test_an_unconfigured_service_is_a_503_in_the_unified_shape() -> None:
    response = call_inventory_through_the_api(upstream_settings(None))

    assert response.status_code == 503
    assert response.json()["code"] == "SERVICE_NOT_CONFIGURED"
    assert "INVENTORY_URL" in response.json()["message"]


def test_an_unavailable_upstream_is_a_503_in_the_unified_shape(upstream: Upstream) -> None:
    upstream.statuses.extend([503] * 3)

    response = call_inventory_through_the_api(upstream_settings(upstream.url))

    assert response.status_code == 503
    assert response.json()["code"] == "UPSTREAM_UNAVAILABLE"
    assert response.json()["request_id"] == response.headers["X-Request-ID"]


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def make_breaker(clock: FakeClock) -> CircuitBreaker:
    return CircuitBreaker(failure_threshold=5, window_seconds=60, open_seconds=30, clock=clock)


def test_breaker_counts_only_failures_inside_the_window() -> None:
    clock = FakeClock()
    breaker = make_breaker(clock)
    for _ in range(4):
        breaker.record_failure()
    clock.now += 61
    breaker.record_failure()

    for _ in range(3):
        breaker.record_failure()
    assert breaker.allow_request()  # four failures inside the window
    breaker.record_failure()
    assert not breaker.allow_request()  # the fifth opens it


def test_breaker_lets_one_trial_through_after_it_has_been_open() -> None:
    clock = FakeClock()
    breaker = make_breaker(clock)
    for _ in range(5):
        breaker.record_failure()
    assert not breaker.allow_request()

    clock.now += 30
    assert breaker.allow_request()
    assert not breaker.allow_request()  # a single trial at a time
    breaker.record_failure()
    assert not breaker.allow_request()  # the failed trial opened it again

    clock.now += 30
    assert breaker.allow_request()
    breaker.record_success()
    assert breaker.allow_request()
    assert not breaker.is_open


async def test_a_cancelled_trial_call_does_not_keep_the_breaker_open(upstream: Upstream) -> None:
    async with breaker_opened(upstream) as clients:
        inventory = clients.get("inventory")
        await anyio.sleep(0.25)

        with anyio.move_on_after(0):  # cancelled before the trial call completes
            await inventory.get("/items")

        response = await inventory.get("/items")
        assert response.status_code == 200


def test_a_success_resets_the_failure_count() -> None:
    breaker = make_breaker(FakeClock())
    for _ in range(4):
        breaker.record_failure()
    breaker.record_success()
    for _ in range(4):
        breaker.record_failure()

    assert breaker.allow_request()
