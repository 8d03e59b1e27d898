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
    assert not settings.is_deployed
    assert settings.serves_api_docs


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
        "SUPABASE_URL is a local Supabase stack",
        id="local-supabase",
    ),
    pytest.param(
        {"supabase_url": "http://localhost:54321"},
        "SUPABASE_URL is a local Supabase stack",
        id="local-supabase-by-name",
    ),
    pytest.param(
        {"supabase_url": "https://host.docker.internal:54321"},
        "SUPABASE_URL is a local Supabase stack",
        id="local-supabase-from-a-container",
    ),
    pytest.param(
        {"supabase_url": "http://[::1]:54321"},
        "SUPABASE_URL is a local Supabase stack",
        id="local-supabase-over-ipv6",
    ),
    pytest.param(
        {"supabase_url": "http://project-ref.supabase.co"},
        "SUPABASE_URL must be an https URL",
        id="supabase-over-http",
    ),
    pytest.param(
        {"clerk_secret_key": "x"}, "CLERK_SECRET_KEY is not a Clerk secret key", id="not-a-key"
    ),
    pytest.param(
        {"supabase_anon_key": LOCAL_SUPABASE_ANON_KEY},
        "SUPABASE_ANON_KEY is the local Supabase demo key",
        id="demo-anon-key",
    ),
    pytest.param({"sentry_dsn": "changethis"}, "SENTRY_DSN is a placeholder", id="placeholder"),
    pytest.param({"cors_origins": "*"}, "CORS_ORIGINS may not contain '\\*'", id="any-origin"),
    pytest.param(
        {"cors_origins": "https://app.example.com,http://admin.example.com"},
        "CORS_ORIGINS may hold only https origins in .*: http://admin.example.com",
        id="http-origin",
    ),
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
    settings = make_settings(environment=environment, **DEPLOYED)

    assert settings.environment == environment
    assert settings.is_deployed
    assert not settings.serves_api_docs


def test_a_development_clerk_key_is_refused_in_production_only(
    make_settings: SettingsFactory,
) -> None:
    development = DEPLOYED | {"clerk_secret_key": "sk_test_not_a_real_key"}

    with pytest.raises(ValidationError, match="CLERK_SECRET_KEY is a development instance's key"):
        make_settings(environment="production", **development)
    assert make_settings(environment="staging", **development).is_deployed


def test_the_messages_never_quote_the_clerk_secret_key(make_settings: SettingsFactory) -> None:
    for key in ["not-a-clerk-key", "sk_test_not_a_real_key"]:
        with pytest.raises(ValidationError) as refused:
            make_settings(environment="production", **(DEPLOYED | {"clerk_secret_key": key}))

        (error,) = refused.value.errors()
        assert "CLERK_SECRET_KEY" in error["msg"]
        assert key not in error["msg"]


@pytest.mark.parametrize(
    ("environment", "api_docs", "served"),
    [
        ("local", None, True),
        ("staging", None, False),
        ("production", None, False),
        ("local", False, False),
        ("staging", True, True),
    ],
)
def test_api_docs_are_served_locally_unless_set(
    make_settings: SettingsFactory, environment: str, api_docs: bool | None, served: bool
) -> None:
    settings = make_settings(environment=environment, api_docs=api_docs, **DEPLOYED)

    assert settings.serves_api_docs is served


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


@pytest.mark.parametrize("name", ["CORS_ORIGINS", "CLERK_AUTHORIZED_PARTIES"])
@pytest.mark.parametrize(
    "written",
    [
        "https://app.example.com, http://localhost:5173",
        '["https://app.example.com", "http://localhost:5173"]',
        ' [ "https://app.example.com/" , "http://localhost:5173/" ] ',
        "https://App.Example.com/,http://LOCALHOST:5173",
    ],
    ids=["commas", "json", "json-trailing-slashes", "case-and-trailing-slash"],
)
def test_origins_are_read_as_browsers_send_them(
    make_settings: SettingsFactory, monkeypatch: pytest.MonkeyPatch, name: str, written: str
) -> None:
    monkeypatch.setenv(name, written)

    settings = make_settings()

    assert getattr(settings, name.lower()) == ["https://app.example.com", "http://localhost:5173"]


@pytest.mark.parametrize("name", ["CORS_ORIGINS", "CLERK_AUTHORIZED_PARTIES"])
@pytest.mark.parametrize(
    "written",
    [
        "null",
        "app.example.com",
        "https://app.example.com/path",
        "https://app.example.com?",
        "https://user@app.example.com",
        "https://app.example.com:port",
        "ftp://app.example.com",
        "https://",
        '["https://app.example.com", 42]',
        '["https://app.example.com"',
    ],
)
def test_values_that_are_not_origins_are_refused_everywhere(
    make_settings: SettingsFactory, monkeypatch: pytest.MonkeyPatch, name: str, written: str
) -> None:
    monkeypatch.setenv(name, written)

    with pytest.raises(ValidationError, match=name):
        make_settings()


def test_any_origin_is_a_cors_value_only(
    make_settings: SettingsFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert make_settings(cors_origins="*").cors_origins == ["*"]
    with pytest.raises(ValidationError, match="CLERK_AUTHORIZED_PARTIES holds '\\*'"):
        make_settings(clerk_authorized_parties="*")


def test_a_refused_setting_is_named_but_its_value_never_printed() -> None:
    """The error of a failed start reaches the platform's logs: no secret may be in it. (The
    end of pydantic's shortened copy of the input held the secret key, set last here.)"""
    with pytest.raises(ValidationError) as refused:
        Settings(
            _env_file=None, environment=Environment.PRODUCTION, clerk_secret_key="sk_live_s3cr"
        )

    assert "CLERK_AUTHORIZED_PARTIES" in str(refused.value)
    assert "s3cr" not in str(refused.value)
