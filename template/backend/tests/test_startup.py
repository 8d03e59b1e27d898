"""Cold start: the service answers before loading its client libraries, then shares them.

The slow libraries (app/core/libraries.py) are read as `libraries.<name>` where they are used,
never imported at the top of a module: a module that does `from postgrest import APIError`
would load postgrest-py while the service starts, and the first test here names that module.
"""

import asyncio
import json
import subprocess
import sys
from typing import cast

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from supabase import AsyncClient

from app.api.deps import SupabaseDep
from app.core import libraries
from app.core.config import Settings, get_settings
from app.core.http_client import SharedHttpClient
from app.core.logging import configure_logging
from app.core.supabase import SharedSupabase
from app.main import create_app
from app.resources import resources_of
from tests.conftest import DEPLOYED, LogLines, SettingsFactory

# What app/core/libraries.py stands for: each library's package, and the service's own module.
LOADED_ON_FIRST_USE = sorted(
    {
        module if module.startswith("app.") else module.split(".")[0]
        for module in libraries.MODULES.values()
    }
)

# Run in a fresh interpreter, as uvicorn would: start the app, answer /healthz, stop. The app is
# called over ASGI directly, because the test client would load httpx itself. Prints, for each
# library loaded anyway, the line of the service's code that imported it.
START_AND_PROBE = """
import asyncio, json, sys, traceback

watched = set(sys.argv[1:])
importers = {}

class Watch:
    def find_spec(self, name, path=None, target=None):
        if name in watched and name not in importers:
            ours = [f for f in traceback.extract_stack() if "/app/" in f.filename]
            importers[name] = f"{ours[-1].filename}:{ours[-1].lineno}" if ours else "?"
        return None

sys.meta_path.insert(0, Watch())

from app.core.config import Settings, get_settings
from app.main import create_app
from app.resources import resources_of

async def start_and_probe():
    app = create_app(Settings(_env_file=None))
    sent = []

    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message):
        sent.append(message)

    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET",
        "scheme": "http", "path": "/healthz", "raw_path": b"/healthz", "root_path": "",
        "query_string": b"", "headers": [(b"host", b"localhost")],
        "client": ("127.0.0.1", 50000), "server": ("localhost", 8000),
    }
    async with app.router.lifespan_context(app):
        await app(scope, receive, send)
    return sent[0]["status"]

assert asyncio.run(start_and_probe()) == 200
print(json.dumps({name: importers.get(name, "?") for name in watched if name in sys.modules}))
"""


# make_settings clears the settings' variables, so the developer's shell does not reach the app.
@pytest.mark.usefixtures("make_settings")
def test_the_service_starts_and_answers_without_its_client_libraries() -> None:
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-c", START_AND_PROBE, *LOADED_ON_FIRST_USE],
        capture_output=True,
        text=True,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    loaded = json.loads(result.stdout.splitlines()[-1])
    assert loaded == {}, "imported while the service starts: " + ", ".join(
        f"{name}, by {importer} (read it from app.core.libraries where it is used instead)"
        for name, importer in loaded.items()
    )


def test_a_library_is_imported_by_its_first_read_and_kept() -> None:
    import postgrest

    assert libraries.postgrest is postgrest
    assert vars(libraries)["postgrest"] is postgrest  # later reads skip __getattr__
    with pytest.raises(AttributeError, match="no attribute 'pandas'"):
        _ = libraries.pandas


@pytest.mark.anyio
async def test_the_connection_pool_is_opened_once_on_first_use(settings: Settings) -> None:
    shared = SharedHttpClient(settings)
    await shared.aclose()  # never opened: nothing to close

    pool = shared.get()

    assert shared.get() is pool
    await shared.aclose()
    assert pool.is_closed


class FakeSupabase:
    closed = False

    async def remove_all_channels(self) -> None:
        self.closed = True


class SlowFactory:
    """Creates clients slowly enough that concurrent first callers overlap; keeps each one."""

    def __init__(self) -> None:
        self.created: list[FakeSupabase] = []

    async def __call__(self, *_: object) -> AsyncClient:
        await asyncio.sleep(0.01)
        self.created.append(FakeSupabase())
        return cast("AsyncClient", self.created[-1])


@pytest.mark.anyio
async def test_concurrent_first_uses_share_one_client() -> None:
    factory = SlowFactory()
    shared = SharedSupabase(factory)

    clients = await asyncio.gather(*(shared.get() for _ in range(5)))

    assert len(factory.created) == 1
    assert len({id(client) for client in clients}) == 1


async def uses_supabase(supabase: SupabaseDep) -> None:
    return None


@pytest.mark.parametrize("requests", [0, 2])
def test_the_client_is_created_on_first_use_and_closed_at_shutdown(
    app: FastAPI, monkeypatch: pytest.MonkeyPatch, requests: int
) -> None:
    factory = SlowFactory()
    monkeypatch.setattr("app.main.create_supabase", factory)
    app.add_api_route("/uses-supabase", uses_supabase)

    with TestClient(app) as client:
        assert client.get("/healthz").status_code == 200
        for _ in range(requests):
            assert client.get("/uses-supabase").status_code == 200

    assert [client.closed for client in factory.created] == ([True] if requests else [])


def test_a_local_service_warns_at_every_start(app: FastAPI, logs: LogLines) -> None:
    with TestClient(app):
        pass

    (warning,) = logs.events("local_environment")
    assert warning["level"] == "warning"
    assert "ENVIRONMENT=local" in warning["hint"]


@pytest.mark.parametrize("environment", ["staging", "production"])
def test_a_deployed_service_starts_without_the_warning(
    make_settings: SettingsFactory, environment: str
) -> None:
    app = create_app(make_settings(environment=environment, **DEPLOYED))
    logs = LogLines()
    configure_logging(resources_of(app).settings, stream=logs.stream)

    with TestClient(app):
        pass

    assert logs.events("startup")
    assert logs.events("local_environment") == []


def test_refused_settings_end_the_start_with_one_json_line_naming_them(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """As the image starts it: settings from the environment, refused before logging exists."""
    get_settings.cache_clear()
    monkeypatch.setenv("ENVIRONMENT", "production")
    monkeypatch.setenv("LOG_LEVEL", "LOUD")
    monkeypatch.setenv("CLERK_SECRET_KEY", "sk_live_s3cr")
    try:
        with pytest.raises(SystemExit) as exited:
            create_app()
    finally:
        get_settings.cache_clear()

    assert exited.value.code == 3
    (line,) = capsys.readouterr().err.splitlines()
    event = json.loads(line)
    assert (event["event"], event["level"]) == ("invalid_settings", "error")
    assert event["refused"][0]["setting"] == "LOG_LEVEL"
    assert "s3cr" not in line
