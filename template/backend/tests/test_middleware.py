import uuid
from collections.abc import AsyncIterator

import httpx2
import pytest
from fastapi import FastAPI
from fastapi.responses import StreamingResponse
from fastapi.testclient import TestClient

from app.api.deps import get_readiness_checks
from app.core.logging import configure_logging
from app.core.request_context import new_request_id, note_signed_in_user
from app.main import create_app
from app.services.readiness import ReadinessChecks
from tests.conftest import DEPLOYED, LogLines, SettingsFactory


def test_every_response_gets_a_fresh_uuid4_request_id(client: TestClient) -> None:
    first = client.get("/healthz").headers["X-Request-ID"]
    second = client.get("/healthz").headers["X-Request-ID"]

    assert uuid.UUID(first).version == 4
    assert first != second


def test_request_ids_are_random_uuid4s_written_as_uuid_writes_them() -> None:
    ids = [new_request_id() for _ in range(1000)]

    parsed = [uuid.UUID(request_id) for request_id in ids]
    assert all(value.version == 4 and value.variant == uuid.RFC_4122 for value in parsed)
    assert [str(value) for value in parsed] == ids
    assert len(set(ids)) == len(ids)


def test_an_incoming_request_id_is_not_trusted(client: TestClient) -> None:
    response = client.get("/healthz", headers={"X-Request-ID": "chosen-by-caller"})

    assert response.headers["X-Request-ID"] != "chosen-by-caller"


def test_a_valid_correlation_id_is_kept(client: TestClient) -> None:
    response = client.get("/healthz", headers={"X-Correlation-ID": "checkout.42_retry-1"})

    assert response.headers["X-Correlation-ID"] == "checkout.42_retry-1"


@pytest.mark.parametrize(
    "correlation_id",
    ["x" * 129, "has space", "semi;colon", "new\\nline", "", "ünïcode"],
    ids=["too-long", "space", "semicolon", "escaped-newline", "empty", "non-ascii"],
)
def test_an_invalid_correlation_id_is_replaced_by_the_request_id(
    client: TestClient, correlation_id: str
) -> None:
    response = client.get("/healthz", headers={b"X-Correlation-ID": correlation_id.encode()})

    assert response.headers["X-Correlation-ID"] == response.headers["X-Request-ID"]


def test_security_headers_are_set(client: TestClient) -> None:
    headers = client.get("/healthz").headers

    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["X-XSS-Protection"] == "0"
    assert headers["Referrer-Policy"] == "no-referrer"
    assert "camera=()" in headers["Permissions-Policy"]
    assert headers["Content-Security-Policy"] == "default-src 'none'; frame-ancestors 'none'"
    assert "Strict-Transport-Security" not in headers


def test_the_docs_page_gets_a_csp_that_lets_it_load(client: TestClient) -> None:
    response = client.get("/docs")

    assert response.status_code == 200
    assert "https://cdn.jsdelivr.net" in response.headers["Content-Security-Policy"]


@pytest.mark.parametrize("environment", ["staging", "production"])
def test_hsts_in_every_deployed_environment(
    make_settings: SettingsFactory, environment: str
) -> None:
    app = create_app(make_settings(environment=environment, **DEPLOYED))
    with TestClient(app) as client:
        headers = client.get("/healthz").headers

    assert headers["Strict-Transport-Security"] == "max-age=63072000; includeSubDomains"


@pytest.mark.parametrize("environment", ["staging", "production"])
def test_deployed_environments_serve_no_docs_unless_asked(
    make_settings: SettingsFactory, environment: str
) -> None:
    hidden = create_app(make_settings(environment=environment, **DEPLOYED))
    served = create_app(make_settings(environment=environment, api_docs=True, **DEPLOYED))

    with TestClient(hidden) as client:
        assert client.get("/docs").status_code == 404
        assert client.get("/openapi.json").status_code == 404
    with TestClient(served) as client:
        assert client.get("/docs").status_code == 200
        assert client.get("/openapi.json").status_code == 200


def preflight(client: TestClient, origin: str) -> httpx2.Response:
    headers = {"Origin": origin, "Access-Control-Request-Method": "GET"}
    return client.options("/healthz", headers=headers)


def test_cors_preflight_is_answered_with_ids_and_headers(make_settings: SettingsFactory) -> None:
    app = create_app(make_settings(cors_origins="https://app.example.com"))
    with TestClient(app) as client:
        response = preflight(client, "https://app.example.com")

    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == "https://app.example.com"
    assert uuid.UUID(response.headers["X-Request-ID"])
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_an_origin_written_with_a_trailing_slash_still_matches(
    make_settings: SettingsFactory,
) -> None:
    app = create_app(make_settings(cors_origins='["https://app.example.com/"]'))
    with TestClient(app) as client:
        allowed = preflight(client, "https://app.example.com")
        other = preflight(client, "https://evil.example.com")

    assert allowed.status_code == 200
    assert allowed.headers["Access-Control-Allow-Origin"] == "https://app.example.com"
    assert other.status_code == 400


def test_cors_never_allows_credentials(make_settings: SettingsFactory) -> None:
    """The API reads Bearer tokens only: a browser's cookies must not ride along."""
    app = create_app(make_settings(cors_origins="*"))
    with TestClient(app) as client:
        asked = preflight(client, "https://anyone.example.com")
        simple = client.get("/healthz", headers={"Origin": "https://anyone.example.com"})

    for response in (asked, simple):
        assert "Access-Control-Allow-Credentials" not in response.headers
        # `*` is answered as `*`, not as whichever origin asked.
        assert response.headers["Access-Control-Allow-Origin"] == "*"


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_a_trailing_slash_is_answered_without_a_redirect(
    client: TestClient, logs: LogLines, method: str
) -> None:
    plain = client.request(method, "/api/v1/entities", follow_redirects=False)
    slashed = client.request(method, "/api/v1/entities/", follow_redirects=False)

    # Answered by the route itself, which wants a token.
    assert slashed.status_code == plain.status_code == 401
    assert [line["path"] for line in logs.events("request")] == ["/api/v1/entities"] * 2


def test_every_path_may_end_with_a_slash(client: TestClient) -> None:
    assert client.get("/healthz/", follow_redirects=False).status_code == 200
    assert client.get("/missing/", follow_redirects=False).status_code == 404
    assert client.get("/", follow_redirects=False).status_code == 404


def test_the_docs_page_with_a_trailing_slash_gets_the_docs_csp(client: TestClient) -> None:
    response = client.get("/docs/", follow_redirects=False)

    assert response.status_code == 200
    assert "https://cdn.jsdelivr.net" in response.headers["Content-Security-Policy"]


def test_each_path_is_documented_once(app: FastAPI) -> None:
    paths = app.openapi()["paths"]

    assert "/api/v1/entities" in paths
    assert not [path for path in paths if path.endswith("/")]


def test_one_log_line_per_request_at_a_level_matching_the_status(
    app: FastAPI, client: TestClient, logs: LogLines
) -> None:
    @app.get("/api/v1/crash")
    async def crash() -> None:
        raise RuntimeError("boom")

    ok = client.get("/version")
    client.get("/missing")
    client.get("/api/v1/crash")

    lines = logs.events("request")
    assert [(line["path"], line["status"], line["level"]) for line in lines] == [
        ("/version", 200, "info"),
        ("/missing", 404, "warning"),
        ("/api/v1/crash", 500, "error"),
    ]
    assert lines[0]["method"] == "GET"
    assert lines[0]["request_id"] == ok.headers["X-Request-ID"]
    assert isinstance(lines[0]["duration_ms"], float)
    assert "user_id" not in lines[0]


def test_healthy_probe_answers_are_logged_at_debug_only(
    app: FastAPI, client: TestClient, logs: LogLines, make_settings: SettingsFactory
) -> None:
    async def not_ready() -> None:
        raise ConnectionError("database unreachable")

    client.get("/healthz")
    checks = ReadinessChecks(timeout_seconds=1)
    checks.register("database", not_ready)
    app.dependency_overrides[get_readiness_checks] = lambda: checks
    assert client.get("/readyz").status_code == 503

    # At the default level a healthy probe leaves no line; a failing one (503) does.
    assert [(line["path"], line["level"]) for line in logs.events("request")] == [
        ("/readyz", "error")
    ]
    configure_logging(make_settings(log_level="DEBUG"), stream=logs.stream)
    client.get("/healthz")
    assert logs.events("request")[-1]["path"] == "/healthz"
    assert logs.events("request")[-1]["level"] == "debug"


def test_the_request_line_names_the_user_when_known(
    app: FastAPI, client: TestClient, logs: LogLines
) -> None:
    @app.get("/api/v1/me")
    async def me() -> dict[str, str]:
        note_signed_in_user("user_123")
        return {}

    client.get("/api/v1/me")

    (line,) = logs.events("request")
    assert line["user_id"] == "user_123"


def test_an_unhandled_exception_becomes_a_500_without_internals(
    app: FastAPI, client: TestClient, logs: LogLines
) -> None:
    @app.get("/api/v1/crash")
    async def crash() -> None:
        raise RuntimeError("database password is hunter2")

    response = client.get("/api/v1/crash")

    assert response.status_code == 500
    body = response.json()
    assert body == {
        "error": "Internal Server Error",
        "message": "An unexpected error occurred.",
        "code": "INTERNAL_ERROR",
        "request_id": response.headers["X-Request-ID"],
    }
    assert "hunter2" not in response.text
    (crash_line,) = logs.events("unhandled_exception")
    assert "RuntimeError" in crash_line["exception"]


def test_a_crash_after_the_response_started_is_re_raised(app: FastAPI) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        yield b"first chunk"
        raise RuntimeError("mid-stream")

    @app.get("/api/v1/stream")
    async def stream() -> StreamingResponse:
        return StreamingResponse(chunks())

    with TestClient(app) as client, pytest.raises(RuntimeError, match="mid-stream"):
        client.get("/api/v1/stream")
