import io
import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.core.config import Settings
from app.core.logging import configure_logging
from app.main import create_app
from app.resources import resources_of
from tests.upstream import Upstream

# Every test of the suite fails if it printed or logged anything credential-shaped.
pytest_plugins = ["pytester", "tests.secret_scan"]

SettingsFactory = Callable[..., Settings]

# What staging and production insist on, with throwaway values.
DEPLOYED = {
    "clerk_secret_key": "sk_live_not_a_real_key",
    "clerk_authorized_parties": "https://app.example.com",
    "supabase_url": "https://project-ref.supabase.co",
    "supabase_anon_key": "a-project-anon-key",
}


@pytest.fixture
def make_settings(monkeypatch: pytest.MonkeyPatch) -> SettingsFactory:
    """Settings from explicit values only: neither the developer's .env nor the shell leak in."""
    for name in Settings.model_fields:
        monkeypatch.delenv(name.upper(), raising=False)

    def make(**values: Any) -> Settings:
        return Settings(_env_file=None, **values)

    return make


@pytest.fixture
def settings(make_settings: SettingsFactory) -> Settings:
    return make_settings()


@pytest.fixture
def app(settings: Settings) -> FastAPI:
    return create_app(settings)


class LogLines:
    """What the service logged during the test, one parsed JSON object per line."""

    def __init__(self) -> None:
        self.stream = io.StringIO()

    @property
    def text(self) -> str:
        return self.stream.getvalue()

    def all(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.text.splitlines()]

    def events(self, event: str) -> list[dict[str, Any]]:
        return [line for line in self.all() if line["event"] == event]


@pytest.fixture
def logs(app: FastAPI) -> LogLines:
    """Depends on `app` so that it redirects the logging create_app configured."""
    lines = LogLines()
    configure_logging(resources_of(app).settings, stream=lines.stream)
    return lines


@pytest.fixture
def client(app: FastAPI, logs: LogLines) -> Iterator[TestClient]:
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.fixture
def upstream() -> Iterator[Upstream]:
    with Upstream.serve() as server:
        yield server


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"
