import json
from collections.abc import Iterator

import pytest
import sentry_sdk
from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.core.sentry import init_sentry
from app.main import create_app
from app.resources import resources_of
from tests.conftest import DEPLOYED, SettingsFactory
from tests.upstream import BOTH_WAYS, Upstream, send_by


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


@pytest.mark.usefixtures("sentry_reset")
@BOTH_WAYS
def test_a_traced_outgoing_call_is_recorded_once(
    make_settings: SettingsFactory, upstream: Upstream, way: str
) -> None:
    """Both ways out of the shared client (app/core/aiohttp_transport.py) leave through aiohttp,
    whose integration records the call; httpx's, which sees only one way, must not add a second."""
    settings = make_settings(
        sentry_dsn=f"http://public@127.0.0.1:{upstream.port}/1",
        sentry_traces_sample_rate=1.0,
        **DEPLOYED,
    )
    app: FastAPI = create_app(settings)

    # Another server than Sentry's: Sentry never sends its trace headers to itself.
    with Upstream.serve() as inventory:

        @app.get("/api/v1/call")
        async def call() -> None:
            await send_by(way, resources_of(app).http.get(), "GET", f"{inventory.url}/items")

        with TestClient(app) as client:
            assert client.get("/api/v1/call").status_code == 200

    (call_received,) = inventory.requests
    # An envelope: its header, then each item's header and payload, one JSON object a line.
    items = [
        json.loads(line)
        for request in upstream.requests
        if request.path == "/api/1/envelope/"
        for line in request.body.splitlines()[1:]
    ]
    (transaction,) = [item for item in items if item.get("transaction") == "/api/v1/call"]
    assert [span["op"] for span in transaction["spans"]].count("http.client") == 1
    trace_id = call_received.headers["sentry-trace"].split("-")[0]
    assert transaction["contexts"]["trace"]["trace_id"] == trace_id
