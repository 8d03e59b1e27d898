from pathlib import Path

import pytest
from pydantic import ValidationError

from app.core.config import Environment, Settings, get_settings
from tests.conftest import SettingsFactory


def test_defaults_suit_local_development(settings: Settings) -> None:
    assert settings.environment == Environment.LOCAL
    assert settings.cors_origins == []
    assert settings.sentry_dsn is None
    assert not settings.is_production


def test_values_come_from_the_environment(
    make_settings: SettingsFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ENVIRONMENT", "staging")
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


@pytest.mark.parametrize("environment", ["staging", "production"])
def test_placeholder_secrets_are_refused_outside_local(
    make_settings: SettingsFactory, environment: str
) -> None:
    with pytest.raises(ValidationError, match="SENTRY_DSN is a placeholder"):
        make_settings(environment=environment, sentry_dsn="changethis")


@pytest.mark.parametrize("environment", ["staging", "production"])
def test_wildcard_cors_is_refused_outside_local(
    make_settings: SettingsFactory, environment: str
) -> None:
    with pytest.raises(ValidationError, match="CORS_ORIGINS may not contain"):
        make_settings(environment=environment, cors_origins="*")


def test_local_tolerates_placeholders(make_settings: SettingsFactory) -> None:
    settings = make_settings(sentry_dsn="changethis", cors_origins="*")

    assert settings.cors_origins == ["*"]


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
