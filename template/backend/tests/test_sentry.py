from collections.abc import Iterator

import pytest
import sentry_sdk
from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.core.sentry import init_sentry
from app.main import create_app
from tests.conftest import DEPLOYED, SettingsFactory
from tests.upstream import Upstream


@pytest.fixture
def sentry_reset() -> Iterator[None]:
    yield
    sentry_sdk.get_client().close()
    sentry_sdk.get_global_scope().set_client(None)


def test_sentry_stays_off_without_a_dsn(make_settings: SettingsFactory) -> None:
    assert init_sentry(make_settings()) is False
    assert not sentry_sdk.get_client().is_active()


@pytest.mark.usefixtures("sentry_reset")
def test_an_unhandled_exception_is_reported_and_flushed_at_shutdown(
    make_settings: SettingsFactory, upstream: Upstream
) -> None:
    settings = make_settings(
        environment="staging",
        sentry_dsn=f"http://public@127.0.0.1:{upstream.port}/1",
        **DEPLOYED,
    )
    app: FastAPI = create_app(settings)

    @app.get("/api/v1/crash")
    async def crash() -> None:
        raise ZeroDivisionError("reported to sentry")

    with TestClient(app, raise_server_exceptions=False) as client:
        assert client.get("/api/v1/crash").status_code == 500

    events = [
        request.body
        for request in upstream.requests
        if request.path == "/api/1/envelope/" and b'{"type":"event"' in request.body
    ]
    assert len(events) == 1
    assert b"ZeroDivisionError" in events[0]
    assert b'"environment":"staging"' in events[0]
