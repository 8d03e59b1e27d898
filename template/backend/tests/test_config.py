from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from app.core.config import (
    LOCAL_SUPABASE_ANON_KEY,
    LOCAL_SUPABASE_URL,
    Environment,
    Settings,
    get_settings,
)
from app.core.local_auth import LocalKeyPair
from tests.conftest import DEPLOYED, SettingsFactory


def test_defaults_suit_local_development(settings: Settings) -> None:
    assert settings.environment == Environment.LOCAL
    assert settings.cors_origins == []
    assert settings.sentry_dsn is None
    assert not settings.is_production


def test_values_come_from_the_environment(
    make_settings: SettingsFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ENVIRONMENT", "staging")
    for name, value in DEPLOYED.items():
        monkeypatch.setenv(name.upper(), value)
    monkeypatch.setenv("CORS_ORIGINS", "https://a.example.com, https://b.example.com")
    monkeypatch.setenv("HTTP_RETRY_ATTEMPTS", "5")

    settings = make_settings()

    assert settings.environment == Environment.STAGING
    assert settings.cors_origins == ["https://a.example.com", "https://b.example.com"]
    assert settings.http_retry_attempts == 5


def test_values_come_from_the_env_file(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text("LOG_LEVEL=DEBUG\nGIT_COMMIT=abc123\n")

    settings = Settings(_env_file=env_file)

    assert settings.log_level == "DEBUG"
    assert settings.git_commit == "abc123"


def test_settings_are_frozen(settings: Settings) -> None:
    with pytest.raises(ValidationError, match="frozen"):
        settings.log_level = "DEBUG"  # type: ignore[misc]


LOCAL_AUTH_KEY = LocalKeyPair.generate().public_pem()
REFUSED_OUTSIDE_LOCAL = [
    pytest.param({"clerk_secret_key": None}, "set CLERK_JWT_KEY or CLERK_SECRET_KEY", id="no-key"),
    pytest.param({"clerk_authorized_parties": ""}, "set CLERK_AUTHORIZED_PARTIES", id="no-parties"),
    pytest.param(
        {"clerk_jwt_key": LOCAL_AUTH_KEY},
        "CLERK_JWT_KEY is the local development key",
        id="local-auth-key",
    ),
    pytest.param(
        {"supabase_url": LOCAL_SUPABASE_URL},
        "SUPABASE_URL is the local Supabase CLI stack",
        id="local-supabase",
    ),
    pytest.param(
        {"supabase_anon_key": LOCAL_SUPABASE_ANON_KEY},
        "SUPABASE_ANON_KEY is the local Supabase demo key",
        id="demo-anon-key",
    ),
    pytest.param({"sentry_dsn": "changethis"}, "SENTRY_DSN is a placeholder", id="placeholder"),
    pytest.param({"cors_origins": "*"}, "CORS_ORIGINS may not contain '\\*'", id="any-origin"),
]


@pytest.mark.parametrize("environment", ["staging", "production"])
@pytest.mark.parametrize(("change", "message"), REFUSED_OUTSIDE_LOCAL)
def test_unsafe_settings_are_refused_outside_local(
    make_settings: SettingsFactory, environment: str, change: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValidationError, match=message):
        make_settings(environment=environment, **(DEPLOYED | change))

    assert make_settings(**(DEPLOYED | change)).environment == Environment.LOCAL


@pytest.mark.parametrize("environment", ["staging", "production"])
def test_complete_deployed_settings_are_accepted(
    make_settings: SettingsFactory, environment: str
) -> None:
    assert make_settings(environment=environment, **DEPLOYED).environment == environment


def test_invalid_values_are_refused(make_settings: SettingsFactory) -> None:
    with pytest.raises(ValidationError, match="environment"):
        make_settings(environment="qa")
    with pytest.raises(ValidationError, match="http_retry_attempts"):
        make_settings(http_retry_attempts=0)


class SettingsWithBilling(Settings):
    billing_url: str | None = None


def test_service_urls_follow_the_service_url_convention(
    make_settings: SettingsFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BILLING_URL", "http://billing:8000")

    settings = SettingsWithBilling(_env_file=None)

    assert settings.service_url("billing") == "http://billing:8000"
    assert settings.service_url("inventory") is None


def test_get_settings_reads_once(
    make_settings: SettingsFactory, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)  # no ../.env from the developer's checkout
    monkeypatch.setenv("LOG_LEVEL", "WARNING")
    get_settings.cache_clear()

    settings = get_settings()

    assert settings.log_level == "WARNING"
    assert get_settings() is settings
    get_settings.cache_clear()


def test_a_pem_on_one_line_is_unescaped(make_settings: SettingsFactory) -> None:
    pem = LocalKeyPair.generate().public_pem(marked=False)
    escaped = pem.replace("\n", "\\n")

    settings = make_settings(clerk_jwt_key=escaped)

    assert settings.clerk_jwt_key is not None
    assert settings.clerk_jwt_key.get_secret_value() == pem


def test_authorized_parties_are_comma_separated(
    make_settings: SettingsFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CLERK_AUTHORIZED_PARTIES", "https://app.example.com,http://localhost:5173")

    assert make_settings().clerk_authorized_parties == [
        "https://app.example.com",
        "http://localhost:5173",
    ]
