import asyncio

from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.api.deps import get_readiness_checks
from app.main import create_app
from app.resources import resources_of
from app.services.readiness import ReadinessChecks
from tests.conftest import DEPLOYED, SettingsFactory


def test_healthz_checks_nothing_and_answers_ok(client: TestClient) -> None:
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_version_reports_the_build(make_settings: SettingsFactory) -> None:
    settings = make_settings(git_commit="0123abc", build_time="2026-01-02T03:04:05Z")
    with TestClient(create_app(settings)) as client:
        response = client.get("/version")

    assert response.json() == {
        "service_name": settings.service_name,
        "version": settings.service_version,
        "commit": "0123abc",
        "build_time": "2026-01-02T03:04:05Z",
        "environment": "local",
    }


def test_supabase_is_checked_for_readiness(app: FastAPI, client: TestClient) -> None:
    """Whether it passes is shown against a real PostgREST in tests/integration."""
    assert resources_of(app).readiness.names == ["supabase"]


def fresh_readiness(app: FastAPI) -> ReadinessChecks:
    """Replace the registered checks, to test the mechanism with checks of our own."""
    checks = ReadinessChecks(resources_of(app).settings.readiness_timeout_seconds)
    app.dependency_overrides[get_readiness_checks] = lambda: checks
    return checks


def test_readyz_is_ready_with_no_checks(app: FastAPI, client: TestClient) -> None:
    fresh_readiness(app)

    response = client.get("/readyz")

    assert response.status_code == 200
    assert response.json() == {"status": "ready", "checks": {}}


async def passes() -> None:
    return None


async def fails() -> None:
    raise ConnectionError("database unreachable")


async def hangs() -> None:
    await asyncio.sleep(60)


def test_readyz_runs_every_registered_check(app: FastAPI, client: TestClient) -> None:
    checks = fresh_readiness(app)
    checks.register("database", passes)
    checks.register("cache", passes)

    response = client.get("/readyz")

    assert response.status_code == 200
    assert response.json() == {"status": "ready", "checks": {"database": "ok", "cache": "ok"}}


def test_readyz_is_503_when_a_check_fails_or_times_out(make_settings: SettingsFactory) -> None:
    app = create_app(make_settings(readiness_timeout_seconds=0.05))
    with TestClient(app) as client:
        checks = fresh_readiness(app)
        checks.register("database", passes)
        checks.register("queue", fails)
        checks.register("cache", hangs)
        response = client.get("/readyz")

    assert response.status_code == 503
    assert response.json() == {
        "status": "not_ready",
        "checks": {"database": "ok", "queue": "failed", "cache": "timeout"},
    }
    assert "unreachable" not in response.text


def test_docs_are_served_outside_production(client: TestClient) -> None:
    assert client.get("/openapi.json").status_code == 200
    assert client.get("/docs").status_code == 200


def test_docs_are_hidden_in_production(make_settings: SettingsFactory) -> None:
    with TestClient(create_app(make_settings(environment="production", **DEPLOYED))) as client:
        assert client.get("/openapi.json").status_code == 404
        assert client.get("/docs").status_code == 404
