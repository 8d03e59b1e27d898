"""Rate limits, through the whole app as the image serves it: per client address, per user."""

from collections.abc import Callable, Iterator
from contextlib import ExitStack
from typing import Any

import pytest
from fastapi import Request
from fastapi.testclient import TestClient
from pydantic import ValidationError
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from app.api.deps import PrincipalDep
from app.core.local_auth import LocalKeyPair
from app.core.logging import configure_logging
from app.core.rate_limit import RateLimiter, TokenBuckets
from app.main import create_app
from app.resources import resources_of
from tests.conftest import LogLines, SettingsFactory

APP_ORIGIN = "https://app.example.com"
# What the platform's proxy saw the caller connect from, in the documentation ranges.
CLIENT = "203.0.113.7"
OTHER_CLIENT = "198.51.100.9"


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture(scope="module")
def keys() -> LocalKeyPair:
    return LocalKeyPair.generate(key_id="ins_rate")


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


ClientFactory = Callable[..., TestClient]


def on_clock(limiter: RateLimiter, clock: FakeClock) -> None:
    """Both of the app's limits count time on the test's clock."""
    for buckets in (limiter.clients, limiter.users):
        if buckets is not None:
            buckets.clock = clock


@pytest.fixture
def limited(
    make_settings: SettingsFactory, keys: LocalKeyPair, clock: FakeClock
) -> Iterator[ClientFactory]:
    """A client of the app with the given settings, its limiter on the fake clock."""
    with ExitStack() as stack:

        def make(**values: Any) -> TestClient:
            app = create_app(
                make_settings(
                    clerk_jwt_key=keys.public_pem(), clerk_authorized_parties=APP_ORIGIN, **values
                )
            )
            on_clock(resources_of(app).rate_limiter, clock)

            @app.get("/api/v1/whoami")
            async def whoami(principal: PrincipalDep) -> dict[str, object]:
                return {"user_id": principal.user_id}

            @app.get("/api/v1/public")
            async def public(request: Request) -> dict[str, object]:
                return {"address": request.client.host if request.client else None}

            # As the image runs uvicorn: --proxy-headers --forwarded-allow-ips='*'.
            served = ProxyHeadersMiddleware(app, trusted_hosts="*")  # type: ignore[arg-type]
            # uvicorn types ASGI apps more narrowly than Starlette does; both are ASGI.
            return stack.enter_context(TestClient(served))  # type: ignore[arg-type]

        yield make


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def forwarded(client: str, claimed: str = "10.9.8.7") -> dict[str, str]:
    """X-Forwarded-For as it reaches the service: what the caller wrote, then what the proxy saw."""
    return {"X-Forwarded-For": f"{claimed}, {client}"}


def test_a_client_over_its_limit_gets_429_in_the_unified_shape(
    limited: ClientFactory, make_settings: SettingsFactory
) -> None:
    client = limited(rate_limit_client_per_minute=2, client_ip_header="X-Forwarded-For")
    logs = LogLines()
    configure_logging(make_settings(), stream=logs.stream)

    statuses = [client.get("/api/v1/public", headers=forwarded(CLIENT)).status_code for _ in "ab"]
    response = client.get("/api/v1/public", headers=forwarded(CLIENT))

    assert statuses == [200, 200]
    assert response.status_code == 429
    body = response.json()
    assert body["code"] == "RATE_LIMITED"
    assert body["error"] == "Too Many Requests"
    assert body["request_id"] == response.headers["X-Request-ID"]
    # Two a minute: the next request is back in half a minute.
    assert response.headers["Retry-After"] == "30"
    assert "30 s" in body["message"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert logs.events("request")[-1]["status"] == 429


def test_the_budget_refills_with_time(limited: ClientFactory, clock: FakeClock) -> None:
    client = limited(rate_limit_client_per_minute=2, client_ip_header="X-Forwarded-For")
    for _ in "ab":
        client.get("/api/v1/public", headers=forwarded(CLIENT))

    clock.advance(29)
    almost = client.get("/api/v1/public", headers=forwarded(CLIENT))
    clock.advance(1)
    refilled = client.get("/api/v1/public", headers=forwarded(CLIENT))

    assert (almost.status_code, almost.headers["Retry-After"]) == (429, "1")
    assert refilled.status_code == 200


def test_a_spoofed_forwarded_for_does_not_give_a_fresh_budget(limited: ClientFactory) -> None:
    client = limited(rate_limit_client_per_minute=2, client_ip_header="X-Forwarded-For")

    statuses = [
        client.get("/api/v1/public", headers=forwarded(CLIENT, claimed)).status_code
        for claimed in ("10.0.0.1", "10.0.0.2", "10.0.0.3")
    ]
    other = client.get("/api/v1/public", headers=forwarded(OTHER_CLIENT))

    assert statuses == [200, 200, 429]
    assert other.status_code == 200
    # The app sees the address the proxy vouches for, not uvicorn's pick (the first one).
    assert other.json()["address"] == OTHER_CLIENT


def test_fly_client_ip_counts_and_forwarded_for_does_not(limited: ClientFactory) -> None:
    client = limited(rate_limit_client_per_minute=2, client_ip_header="Fly-Client-IP")

    statuses = [
        client.get(
            "/api/v1/public", headers={"Fly-Client-IP": CLIENT, "X-Forwarded-For": claimed}
        ).status_code
        for claimed in ("10.0.0.1", "10.0.0.2", "10.0.0.3")
    ]

    assert statuses == [200, 200, 429]


def test_without_the_header_the_connection_address_counts(limited: ClientFactory) -> None:
    client = limited(rate_limit_client_per_minute=1, client_ip_header="X-Real-IP")

    first = client.get("/api/v1/public")
    second = client.get("/api/v1/public", headers={"X-Real-IP": "not an address"})

    assert first.status_code == 200
    assert first.json()["address"] == "testclient"
    assert second.status_code == 429


def test_an_ipv6_client_is_counted_by_its_64(limited: ClientFactory) -> None:
    client = limited(rate_limit_client_per_minute=1, client_ip_header="X-Real-IP")

    def status(address: str) -> int:
        return client.get("/api/v1/public", headers={"X-Real-IP": address}).status_code

    assert [status("2001:db8::1"), status("2001:db8::2"), status("2001:db8:0:1::1")] == [
        200,
        429,
        200,
    ]


@pytest.mark.parametrize("path", ["/healthz", "/healthz/", "/version", "/readyz"])
def test_probes_are_never_limited(limited: ClientFactory, path: str) -> None:
    client = limited(rate_limit_client_per_minute=1, rate_limit_user_per_minute=1)

    statuses = {client.get(path).status_code for _ in range(5)}

    assert 429 not in statuses
    assert client.get("/api/v1/public").status_code == 200


def test_each_user_has_a_budget_of_their_own(limited: ClientFactory, keys: LocalKeyPair) -> None:
    client = limited(rate_limit_client_per_minute=0, rate_limit_user_per_minute=2)
    alice = bearer(keys.session_token("user_alice", authorized_party=APP_ORIGIN))
    bob = bearer(keys.session_token("user_bob", authorized_party=APP_ORIGIN))

    alice_statuses = [client.get("/api/v1/whoami", headers=alice).status_code for _ in "abc"]
    limited_alice = client.get("/api/v1/whoami", headers=alice)
    bob_response = client.get("/api/v1/whoami", headers=bob)

    assert alice_statuses == [200, 200, 429]
    assert limited_alice.json()["code"] == "RATE_LIMITED"
    assert limited_alice.headers["Retry-After"] == "30"
    assert "user" in limited_alice.json()["message"]
    assert bob_response.json()["user_id"] == "user_bob"


def test_a_forged_token_does_not_spend_its_claimed_users_budget(
    limited: ClientFactory, keys: LocalKeyPair
) -> None:
    client = limited(rate_limit_client_per_minute=0, rate_limit_user_per_minute=2)
    victim = bearer(keys.session_token("user_victim", authorized_party=APP_ORIGIN))
    forged = bearer(
        LocalKeyPair.generate().session_token("user_victim", authorized_party=APP_ORIGIN)
    )

    forged_statuses = {client.get("/api/v1/whoami", headers=forged).status_code for _ in "abcd"}
    victim_statuses = [client.get("/api/v1/whoami", headers=victim).status_code for _ in "ab"]

    assert forged_statuses == {401}
    assert victim_statuses == [200, 200]


def test_requests_without_a_valid_token_count_for_their_client(
    limited: ClientFactory, keys: LocalKeyPair
) -> None:
    client = limited(rate_limit_client_per_minute=2, client_ip_header="X-Forwarded-For")
    forged = bearer(LocalKeyPair.generate().session_token("user_a", authorized_party=APP_ORIGIN))

    statuses = [
        client.get("/api/v1/whoami", headers={**forged, **forwarded(CLIENT)}).status_code
        for _ in "abc"
    ]

    assert statuses == [401, 401, 429]


def test_zero_turns_the_limits_off(limited: ClientFactory, keys: LocalKeyPair) -> None:
    client = limited(rate_limit_client_per_minute=0, rate_limit_user_per_minute=0)
    alice = bearer(keys.session_token("user_alice", authorized_party=APP_ORIGIN))

    statuses = {client.get("/api/v1/whoami", headers=alice).status_code for _ in range(20)}

    assert statuses == {200}


def test_a_browser_can_read_the_429(limited: ClientFactory) -> None:
    client = limited(rate_limit_client_per_minute=1, cors_origins=APP_ORIGIN)
    headers = {"Origin": APP_ORIGIN}

    client.get("/api/v1/public", headers=headers)
    response = client.get("/api/v1/public", headers=headers)

    assert response.status_code == 429
    assert response.headers["Access-Control-Allow-Origin"] == APP_ORIGIN
    assert "retry-after" in response.headers["Access-Control-Expose-Headers"].lower()


def test_the_defaults_leave_room_for_normal_use(limited: ClientFactory, keys: LocalKeyPair) -> None:
    client = limited()
    alice = bearer(keys.session_token("user_alice", authorized_party=APP_ORIGIN))

    statuses = {client.get("/api/v1/whoami", headers=alice).status_code for _ in range(200)}

    assert statuses == {200}


def test_the_least_recently_used_key_is_forgotten_first(clock: FakeClock) -> None:
    buckets = TokenBuckets(per_minute=1, clock=clock, max_keys=2)

    assert [buckets.take("a"), buckets.take("b"), buckets.take("a")] == [0, 0, 60]
    buckets.take("c")

    assert len(buckets) == 2
    # "b" was used longest ago, so it was forgotten and starts with a full budget again.
    assert [buckets.take("a"), buckets.take("b")] == [60, 0]


@pytest.mark.parametrize(
    "values",
    [
        {"rate_limit_client_per_minute": -1},
        {"rate_limit_user_per_minute": -1},
        {"client_ip_header": "X-Forwarded-For: 1.2.3.4"},
    ],
)
def test_invalid_limit_settings_are_refused(
    make_settings: SettingsFactory, values: dict[str, object]
) -> None:
    with pytest.raises(ValidationError):
        make_settings(**values)
