"""Hostile or malformed requests: each gets a clean answer in the unified shape, never a 500."""

import json
from collections.abc import Iterator

import httpx2
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from starlette.types import Message, Scope

from app.api.deps import get_entity_service
from app.core.local_auth import LocalKeyPair
from app.main import create_app
from app.models.entities import EntityCreate
from tests.conftest import SettingsFactory

LIMIT = 4096


@pytest.fixture
def hostile_app(make_settings: SettingsFactory) -> FastAPI:
    clerk_key = LocalKeyPair.generate().public_pem()
    app = create_app(make_settings(max_request_body_bytes=LIMIT, clerk_jwt_key=clerk_key))

    @app.post("/api/v1/echo")
    async def echo(entity: EntityCreate) -> EntityCreate:
        return entity

    return app


@pytest.fixture
def hostile(hostile_app: FastAPI) -> Iterator[TestClient]:
    with TestClient(hostile_app, raise_server_exceptions=False) as client:
        yield client


def assert_unified(response: httpx2.Response, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["code"] == code
    assert body["request_id"] == response.headers["X-Request-ID"]


def test_an_oversized_declared_body_is_refused_before_it_is_read(hostile: TestClient) -> None:
    response = hostile.post(
        "/api/v1/echo", content=b"x" * (LIMIT + 1), headers={"Content-Type": "application/json"}
    )

    assert_unified(response, 413, "PAYLOAD_TOO_LARGE")
    assert str(LIMIT) in response.json()["message"]


def test_an_oversized_chunked_body_is_refused_while_it_arrives(hostile: TestClient) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"title": "'
        for _ in range(LIMIT // 512 + 1):
            yield b"y" * 512
        yield b'"}'

    response = hostile.post(
        "/api/v1/echo", content=chunks(), headers={"Content-Type": "application/json"}
    )

    assert "content-length" not in {key.lower() for key in response.request.headers}
    assert_unified(response, 413, "PAYLOAD_TOO_LARGE")


def test_a_body_within_the_limit_is_accepted(hostile: TestClient) -> None:
    response = hostile.post("/api/v1/echo", json={"title": "t" * 200})

    assert response.status_code == 200


def test_deeply_nested_json_is_a_bad_request(hostile: TestClient) -> None:
    depth = LIMIT // 2 - 8
    body = b'{"title": ' + b"[" * depth + b"]" * depth + b"}"

    response = hostile.post(
        "/api/v1/echo", content=body, headers={"Content-Type": "application/json"}
    )

    assert response.status_code in {400, 422}
    assert response.json()["request_id"] == response.headers["X-Request-ID"]


def test_invalid_utf8_is_a_bad_request(hostile: TestClient) -> None:
    response = hostile.post(
        "/api/v1/echo",
        content=b'{"title": "\xff\xfe\xfa"}',
        headers={"Content-Type": "application/json"},
    )

    assert_unified(response, 400, "BAD_REQUEST")


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/entities/..%2F..%2Fetc%2Fpasswd",
        "/api/v1/entities/%00",
        "/api/v1/entities/' OR 1=1 --",
        "/api/v1/entities/" + "9" * 5000,
    ],
    ids=["traversal", "nul", "sql", "very-long"],
)
def test_hostile_ids_are_refused_cleanly(hostile: TestClient, path: str) -> None:
    response = hostile.get(path, headers={"Authorization": "Bearer not-a-token"})

    assert response.status_code in {401, 404, 422}
    assert response.json()["request_id"] == response.headers["X-Request-ID"]


@pytest.mark.parametrize("limit", ["99999999999999999999999", "-1", "1e9", "NaN", ""])
def test_absurd_page_sizes_are_validation_errors(hostile_app: FastAPI, limit: str) -> None:
    """Checked before authentication would matter: the query is invalid whoever asks."""
    hostile_app.dependency_overrides[get_entity_service] = lambda: None
    with TestClient(hostile_app) as client:
        response = client.get("/api/v1/entities", params={"limit": limit})

    assert_unified(response, 422, "VALIDATION_ERROR")
    assert response.json()["details"][0]["field"] == "query.limit"


async def call_with_raw_headers(app: FastAPI, headers: list[tuple[bytes, bytes]]) -> dict[str, str]:
    """Send bytes no HTTP client would (CR, LF, NUL) straight to the ASGI app."""
    messages: list[Message] = []
    scope: Scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": "/healthz",
        "raw_path": b"/healthz",
        "root_path": "",
        "query_string": b"",
        "headers": headers,
        "client": ("127.0.0.1", 1),
        "server": ("testserver", 80),
    }

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        messages.append(message)

    await app(scope, receive, send)
    start = next(message for message in messages if message["type"] == "http.response.start")
    raw = start["headers"]
    assert isinstance(raw, list)
    return {name.decode().lower(): value.decode() for name, value in raw}


@pytest.mark.anyio
@pytest.mark.parametrize(
    "value",
    [b"abc\r\nX-Injected: yes", b"abc\nSet-Cookie: session=1", b"abc\x00def", b"\xff\xfe"],
    ids=["crlf", "lf", "nul", "binary"],
)
async def test_header_injection_in_the_correlation_id_goes_nowhere(
    hostile_app: FastAPI, value: bytes
) -> None:
    headers = await call_with_raw_headers(hostile_app, [(b"x-correlation-id", value)])

    assert headers["x-correlation-id"] == headers["x-request-id"]
    assert "x-injected" not in headers
    assert "set-cookie" not in headers
    assert json.dumps(headers).isascii()


@pytest.mark.parametrize(
    "value",
    ["", "not-an-address", "203.0.113.7:443", "[2001:db8::1]", ", ,", "9" * 5000],
    ids=["empty", "text", "with-port", "bracketed", "commas", "very-long"],
)
def test_a_malformed_client_address_header_is_ignored(hostile: TestClient, value: str) -> None:
    """Whichever header CLIENT_IP_HEADER names, a value that is no address counts for nothing."""
    headers = dict.fromkeys(("X-Forwarded-For", "X-Real-IP", "Fly-Client-IP"), value)

    response = hostile.get("/api/v1/no-such-route", headers=headers)

    assert_unified(response, 404, "NOT_FOUND")
