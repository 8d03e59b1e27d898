"""Clerk session tokens, verified through the real Clerk SDK with keys and tokens made here."""

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Iterator
from typing import Any

import anyio
import jwt
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.api.deps import PrincipalDep
from app.core import libraries
from app.core.auth import AuthenticationError, ClerkAuthenticator, Principal
from app.core.local_auth import LocalKeyPair
from app.core.logging import configure_logging
from app.main import create_app
from app.resources import resources_of
from tests.conftest import LogLines, SettingsFactory

APP_ORIGIN = "https://app.example.com"


@pytest.fixture(scope="module")
def keys() -> LocalKeyPair:
    return LocalKeyPair.generate(key_id="ins_test")


@pytest.fixture
def auth_app(make_settings: SettingsFactory, keys: LocalKeyPair) -> FastAPI:
    settings = make_settings(clerk_jwt_key=keys.public_pem(), clerk_authorized_parties=APP_ORIGIN)
    app = create_app(settings)

    @app.get("/api/v1/whoami")
    async def whoami(principal: PrincipalDep) -> dict[str, object]:
        return {
            "user_id": principal.user_id,
            "session_id": principal.session_id,
            "org_id": principal.org_id,
            "org_role": principal.org_role,
            "org_slug": principal.org_slug,
        }

    return app


@pytest.fixture
def auth_client(auth_app: FastAPI) -> Iterator[TestClient]:
    with TestClient(auth_app) as client:
        yield client


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_a_valid_session_token_identifies_the_user(auth_app: FastAPI, keys: LocalKeyPair) -> None:
    logs = LogLines()
    configure_logging(resources_of(auth_app).settings, stream=logs.stream)
    with TestClient(auth_app) as client:
        response = client.get(
            "/api/v1/whoami",
            headers=bearer(keys.session_token("user_a", authorized_party=APP_ORIGIN)),
        )

    assert response.status_code == 200
    body = response.json()
    assert body["user_id"] == "user_a"
    assert body["session_id"].startswith("sess_")
    assert body["org_id"] is None
    (line,) = logs.events("request")
    assert line["user_id"] == "user_a"


def test_an_active_organisation_is_part_of_the_principal(
    auth_client: TestClient, keys: LocalKeyPair
) -> None:
    token = keys.session_token(
        "user_a", authorized_party=APP_ORIGIN, org={"id": "org_1", "rol": "admin", "slg": "acme"}
    )

    body = auth_client.get("/api/v1/whoami", headers=bearer(token)).json()

    assert (body["org_id"], body["org_role"], body["org_slug"]) == ("org_1", "admin", "acme")


def tampered(token: str) -> str:
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["sub"] = "user_admin"
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return f"{header}.{forged}.{signature}"


def unsigned(claims: dict[str, object]) -> str:
    header = base64.urlsafe_b64encode(b'{"alg":"none","typ":"JWT"}').rstrip(b"=").decode()
    body = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return f"{header}.{body}."


def rejected_tokens(keys: LocalKeyPair) -> dict[str, tuple[dict[str, str], str]]:
    """Each case: the headers sent, and the error code expected."""
    now = int(time.time())
    valid = keys.session_token("user_a", authorized_party=APP_ORIGIN)
    claims = jwt.decode(valid, options={"verify_signature": False})
    public_pem = keys.public_pem(marked=False)
    return {
        "expired": (
            bearer(keys.session_token("user_a", authorized_party=APP_ORIGIN, exp=now - 60)),
            "AUTH_EXPIRED_TOKEN",
        ),
        "not-yet-valid": (
            bearer(keys.session_token("user_a", authorized_party=APP_ORIGIN, nbf=now + 600)),
            "AUTH_INVALID_TOKEN",
        ),
        "wrong-key": (
            bearer(LocalKeyPair.generate().session_token("user_a", authorized_party=APP_ORIGIN)),
            "AUTH_INVALID_TOKEN",
        ),
        "tampered": (bearer(tampered(valid)), "AUTH_INVALID_TOKEN"),
        "wrong-azp": (
            bearer(keys.session_token("user_a", authorized_party="https://evil.example.com")),
            "AUTH_INVALID_TOKEN",
        ),
        "alg-none": (bearer(unsigned(claims)), "AUTH_INVALID_TOKEN"),
        "hs256-with-public-key": (
            bearer(_hs256(claims, public_pem)),
            "AUTH_INVALID_TOKEN",
        ),
        "garbage": (bearer("not.a.token"), "AUTH_INVALID_TOKEN"),
        "api-key-token": (bearer("ak_live_0123456789"), "AUTH_INVALID_TOKEN"),
        "basic-scheme": ({"Authorization": "Basic dXNlcjpwYXNz"}, "AUTH_INVALID_TOKEN"),
        "empty-bearer": ({"Authorization": "Bearer "}, "AUTH_MISSING_TOKEN"),
        "missing-header": ({}, "AUTH_MISSING_TOKEN"),
        "session-cookie-only": ({"Cookie": f"__session={valid}"}, "AUTH_MISSING_TOKEN"),
    }


def _hs256(claims: dict[str, object], secret: str) -> str:
    """An HMAC token keyed with the public PEM: the classic algorithm-confusion attack."""
    header = base64.urlsafe_b64encode(b'{"alg":"HS256","typ":"JWT","kid":"ins_test"}')
    body = base64.urlsafe_b64encode(json.dumps(claims).encode())
    signing_input = header.rstrip(b"=") + b"." + body.rstrip(b"=")
    signature = hmac.new(secret.encode(), signing_input, hashlib.sha256).digest()
    return (signing_input + b"." + base64.urlsafe_b64encode(signature).rstrip(b"=")).decode()


CASES = [
    "expired",
    "not-yet-valid",
    "wrong-key",
    "tampered",
    "wrong-azp",
    "alg-none",
    "hs256-with-public-key",
    "garbage",
    "api-key-token",
    "basic-scheme",
    "empty-bearer",
    "missing-header",
    "session-cookie-only",
]


@pytest.mark.parametrize("case", CASES)
def test_a_bad_or_missing_token_is_a_401(
    auth_client: TestClient, keys: LocalKeyPair, case: str
) -> None:
    headers, code = rejected_tokens(keys)[case]

    response = auth_client.get("/api/v1/whoami", headers=headers)

    assert response.status_code == 401
    assert response.json()["code"] == code
    assert response.json()["request_id"] == response.headers["X-Request-ID"]
    assert response.headers["WWW-Authenticate"] == "Bearer"


def test_the_issuer_is_checked_when_configured(
    make_settings: SettingsFactory, keys: LocalKeyPair
) -> None:
    issuer = "https://clerk.example.com"
    authenticator = ClerkAuthenticator(
        make_settings(clerk_jwt_key=keys.public_pem(), clerk_issuer=issuer)
    )

    async def check(iss: str) -> Principal:
        return await authenticator.authenticate(f"Bearer {keys.session_token('user_a', iss=iss)}")

    assert anyio.run(check, issuer).user_id == "user_a"
    with pytest.raises(AuthenticationError, match="expected issuer") as error:
        anyio.run(check, "https://other.example.com")
    assert error.value.code == "AUTH_INVALID_TOKEN"


def test_without_any_clerk_key_auth_is_reported_as_not_configured(
    make_settings: SettingsFactory, keys: LocalKeyPair
) -> None:
    app = create_app(make_settings())

    @app.get("/api/v1/whoami")
    async def whoami(principal: PrincipalDep) -> str:
        return principal.user_id

    with TestClient(app) as client:
        response = client.get("/api/v1/whoami", headers=bearer(keys.session_token("user_a")))

    assert response.status_code == 503
    assert response.json()["code"] == "AUTH_NOT_CONFIGURED"


def test_with_a_secret_key_tokens_are_checked_against_clerk(
    make_settings: SettingsFactory,
) -> None:
    """Clerk's API cannot be reached from tests: this checks what would be sent to it."""
    options = ClerkAuthenticator(
        make_settings(clerk_secret_key="sk_test_abc", clerk_authorized_parties=APP_ORIGIN)
    ).options

    assert options.secret_key == "sk_test_abc"
    assert options.jwt_key is None
    assert options.authorized_parties == [APP_ORIGIN]
    assert options.accepts_token == ["session_token"]


def test_the_access_token_never_appears_in_the_principal_repr(keys: LocalKeyPair) -> None:
    token = keys.session_token("user_a")

    assert token not in repr(Principal(user_id="user_a", access_token=token))


def signed(keys: LocalKeyPair, **changes: object) -> str:
    """A session token signed with `keys`, with claims changed; a None value removes one."""
    claims = jwt.decode(
        keys.session_token("user_a", authorized_party=APP_ORIGIN),
        options={"verify_signature": False},
    )
    for name, value in changes.items():
        if value is None:
            claims.pop(name, None)
        else:
            claims[name] = value
    return jwt.encode(claims, keys.private_key, algorithm="RS256", headers={"kid": keys.key_id})


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        pytest.param({"role": "service_role"}, "docs/auth.md", id="service-role"),
        pytest.param({"role": "anon"}, "docs/auth.md", id="anon-role"),
        pytest.param({"role": None}, "docs/auth.md", id="no-role"),
        pytest.param({"exp": None}, "`exp`", id="no-exp"),
        pytest.param({"iat": None}, "`iat`", id="no-iat"),
        pytest.param({"nbf": None}, "`nbf`", id="no-nbf"),
        pytest.param({"iat": "yesterday"}, "not valid", id="text-iat"),
        pytest.param({"sub": None}, "names no user", id="no-sub"),
        pytest.param({"sub": 42}, "not valid", id="number-sub"),
        pytest.param({"sts": "pending"}, "pending tasks", id="pending-session"),
        pytest.param({"o": "org_1"}, "not valid", id="org-claim-text"),
        pytest.param({"o": {"id": 5, "rol": ["admin"]}}, "`org_id`", id="org-claim-numbers"),
        pytest.param({"org_permissions": "org:read"}, "org_permissions", id="permissions-text"),
        pytest.param({"sid": {"id": 1}}, "`sid`", id="sid-object"),
    ],
)
def test_a_signed_token_with_the_wrong_claims_is_a_401_never_a_500(
    auth_client: TestClient, keys: LocalKeyPair, changes: dict[str, object], message: str
) -> None:
    """Correctly signed: only the claims themselves can be wrong, and each is refused."""
    response = auth_client.get("/api/v1/whoami", headers=bearer(signed(keys, **changes)))

    assert response.status_code == 401, response.text
    assert response.json()["code"] == "AUTH_INVALID_TOKEN"
    assert message in response.json()["message"]


def test_pending_sessions_can_be_accepted_by_setting(
    make_settings: SettingsFactory, keys: LocalKeyPair
) -> None:
    settings = make_settings(
        clerk_jwt_key=keys.public_pem(),
        clerk_authorized_parties=APP_ORIGIN,
        clerk_accept_pending_sessions=True,
    )
    authenticator = ClerkAuthenticator(settings)

    principal = anyio.run(authenticator.authenticate, f"Bearer {signed(keys, sts='pending')}")

    assert principal.user_id == "user_a"


@pytest.mark.parametrize(
    "header",
    ["Bearer Bearer {token}", "Bearer {token} {token}", "Bearer {token}\tx"],
)
def test_a_header_with_more_than_one_token_is_malformed(
    auth_client: TestClient, keys: LocalKeyPair, header: str
) -> None:
    """Read once, as one word: the token checked is the token forwarded, never a neighbour."""
    token = keys.session_token("user_a", authorized_party=APP_ORIGIN)

    response = auth_client.get(
        "/api/v1/whoami", headers={"Authorization": header.format(token=token)}
    )

    assert response.status_code == 401
    assert response.json()["message"] == "The bearer token is malformed."


class CountedClerk:
    """Clerk's real verification, counted: how many tokens reached the SDK."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.calls = 0
        verify = libraries.clerk.authenticate_request_async

        async def counted(request: Any, options: Any) -> Any:
            self.calls += 1
            return await verify(request, options)

        monkeypatch.setattr(libraries.clerk, "authenticate_request_async", counted)


class Clock:
    """The real time, moved forward by `ahead` seconds."""

    def __init__(self) -> None:
        self.ahead = 0.0

    def __call__(self) -> float:
        return time.time() + self.ahead


@pytest.fixture
def clerk(monkeypatch: pytest.MonkeyPatch) -> CountedClerk:
    return CountedClerk(monkeypatch)


def authenticator_with_clock(
    make_settings: SettingsFactory, keys: LocalKeyPair, clock: Clock
) -> ClerkAuthenticator:
    settings = make_settings(clerk_jwt_key=keys.public_pem(), clerk_authorized_parties=APP_ORIGIN)
    return ClerkAuthenticator(settings, clock=clock)


def test_a_verified_token_is_remembered_until_it_expires(
    make_settings: SettingsFactory, keys: LocalKeyPair, clerk: CountedClerk
) -> None:
    clock = Clock()
    authenticator = authenticator_with_clock(make_settings, keys, clock)
    token = keys.session_token("user_a", authorized_party=APP_ORIGIN, lifetime_seconds=60)

    first = anyio.run(authenticator.authenticate, f"Bearer {token}")
    again = anyio.run(authenticator.authenticate, f"Bearer {token}")
    assert (first, again, clerk.calls) == (again, first, 1)

    clock.ahead = 61  # past its `exp`: back to the SDK, which decides with the real time
    assert anyio.run(authenticator.authenticate, f"Bearer {token}") == first
    assert clerk.calls == 2


def test_a_refused_token_is_checked_again_each_time(
    make_settings: SettingsFactory, keys: LocalKeyPair, clerk: CountedClerk
) -> None:
    authenticator = authenticator_with_clock(make_settings, keys, Clock())
    token = signed(keys, role="service_role")

    for _ in range(2):
        with pytest.raises(AuthenticationError):
            anyio.run(authenticator.authenticate, f"Bearer {token}")

    assert clerk.calls == 2


def test_a_token_past_its_expiry_is_never_served_from_memory(
    make_settings: SettingsFactory, keys: LocalKeyPair, clerk: CountedClerk
) -> None:
    """Clerk's SDK allows 5 s of clock skew; only the SDK applies it, never the memory."""
    authenticator = authenticator_with_clock(make_settings, keys, Clock())
    now = int(time.time())
    token = signed(keys, exp=now - 2)

    for _ in range(2):
        assert anyio.run(authenticator.authenticate, f"Bearer {token}").user_id == "user_a"

    assert clerk.calls == 2


def test_only_the_most_recent_tokens_are_remembered(
    make_settings: SettingsFactory,
    keys: LocalKeyPair,
    clerk: CountedClerk,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("app.core.auth.VERIFIED_TOKENS_KEPT", 2)
    authenticator = authenticator_with_clock(make_settings, keys, Clock())
    first, second, third = (
        keys.session_token(user, authorized_party=APP_ORIGIN) for user in ("a", "b", "c")
    )

    for token in (first, second, third, third, second, first):
        anyio.run(authenticator.authenticate, f"Bearer {token}")

    assert clerk.calls == 4  # first, second, third, then first again: it was forgotten
