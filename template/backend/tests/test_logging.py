import io
import json
import logging

import pytest
import structlog
from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.core.logging import REDACTED, configure_logging
from tests.conftest import DEPLOYED, LogLines, SettingsFactory


def test_every_line_is_json_with_the_base_fields(make_settings: SettingsFactory) -> None:
    stream = io.StringIO()
    settings = make_settings(environment="staging", **DEPLOYED)
    configure_logging(settings, stream=stream)

    structlog.stdlib.get_logger("test").info("something_happened", answer=42)

    line = json.loads(stream.getvalue())
    assert line["event"] == "something_happened"
    assert line["answer"] == 42
    assert line["level"] == "info"
    assert line["service"] == settings.service_name
    assert line["environment"] == "staging"
    assert line["version"] == settings.service_version
    assert line["timestamp"].endswith("Z")


def test_standard_library_logs_share_the_format(make_settings: SettingsFactory) -> None:
    stream = io.StringIO()
    configure_logging(make_settings(), stream=stream)

    logging.getLogger("uvicorn.error").warning("server %s", "event")

    line = json.loads(stream.getvalue())
    assert line["event"] == "server event"
    assert line["level"] == "warning"
    assert "service" in line


def test_secrets_are_redacted_at_any_depth(make_settings: SettingsFactory) -> None:
    stream = io.StringIO()
    configure_logging(make_settings(), stream=stream)

    structlog.stdlib.get_logger("test").info(
        "calling",
        authorization="Bearer secret-token-value",
        headers={"Cookie": "session=secret-cookie-value", "Accept": "application/json"},
        api_key="secret-api-key-value",
        client_secret="secret-client-value",
    )

    output = stream.getvalue()
    assert "secret-" not in output
    line = json.loads(output)
    assert line["authorization"] == REDACTED
    assert line["headers"] == {"Cookie": REDACTED, "Accept": "application/json"}
    assert line["api_key"] == REDACTED
    assert line["client_secret"] == REDACTED


def test_console_format_is_for_humans(make_settings: SettingsFactory) -> None:
    stream = io.StringIO()
    configure_logging(make_settings(log_format="console"), stream=stream)

    structlog.stdlib.get_logger("test").info("readable", answer=42)

    output = stream.getvalue()
    assert "readable" in output
    assert "answer" in output
    assert not output.startswith("{")


def test_log_level_filters_lower_levels(make_settings: SettingsFactory) -> None:
    stream = io.StringIO()
    configure_logging(make_settings(log_level="WARNING"), stream=stream)

    structlog.stdlib.get_logger("test").info("hidden")
    structlog.stdlib.get_logger("test").warning("shown")

    assert [json.loads(line)["event"] for line in stream.getvalue().splitlines()] == ["shown"]


def test_lines_logged_during_a_request_carry_its_ids(
    app: FastAPI, client: TestClient, logs: LogLines
) -> None:
    @app.get("/api/v1/logs-something")
    async def logs_something() -> dict[str, str]:
        structlog.stdlib.get_logger("test").info("inside_request")
        return {}

    response = client.get("/api/v1/logs-something", headers={"X-Correlation-ID": "order-7"})

    (line,) = logs.events("inside_request")
    assert line["request_id"] == response.headers["X-Request-ID"]
    assert line["correlation_id"] == "order-7"


def test_secrets_are_redacted_inside_lists_tuples_and_sets(make_settings: SettingsFactory) -> None:
    stream = io.StringIO()
    configure_logging(make_settings(), stream=stream)

    structlog.stdlib.get_logger("test").info(
        "batch",
        items=[{"token": "secret-in-list", "id": 1}, [{"password": "secret-in-inner-list"}]],
        pair=("plain", {"api_key": "secret-in-tuple"}),
        tags={"Bearer secret-in-set"},
    )

    output = stream.getvalue()
    assert "secret-" not in output
    line = json.loads(output)
    assert line["items"] == [{"token": REDACTED, "id": 1}, [{"password": REDACTED}]]
    assert line["pair"] == ["plain", {"api_key": REDACTED}]
    assert line["tags"] == "{'Bearer [REDACTED]'}"  # JSON has no sets: written as their repr


JWT = "eyJhbGciOiJSUzI1NiJ9" + ".eyJzdWIiOiJ1c2VyX2EifQ" + ".c2lnbmF0dXJl"
PEM = "-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA\n-----END RSA PRIVATE KEY-----"


@pytest.mark.parametrize(
    ("text", "scrubbed"),
    [
        (
            "connect to postgresql://postgres:hunter2@db:5432/app failed",
            "connect to postgresql://[REDACTED]@db:5432/app failed",
        ),
        (
            "sentry at https://abc123@o1.ingest.sentry.io/1",
            "sentry at https://[REDACTED]@o1.ingest.sentry.io/1",
        ),
        ("sent Bearer opaque-session-token", "sent Bearer [REDACTED]"),
        (f"token {JWT} expired", "token [REDACTED] expired"),
        (f"bad key {PEM} in settings", "bad key [REDACTED] in settings"),
        ("cut short: -----BEGIN PRIVATE KEY-----\nMIIEvQ", "cut short: [REDACTED]"),
        ("clerk rejected sk_live_abc123DEF", "clerk rejected [REDACTED]"),
    ],
    ids=["url-password", "sentry-dsn", "bearer", "jwt", "pem", "pem-cut-short", "clerk-key"],
)
def test_credentials_inside_values_are_scrubbed_at_any_depth(
    make_settings: SettingsFactory, text: str, scrubbed: str
) -> None:
    stream = io.StringIO()
    configure_logging(make_settings(), stream=stream)

    structlog.stdlib.get_logger("test").warning(
        "upstream_failed", error=text, attempts=[{"detail": text}]
    )

    line = json.loads(stream.getvalue())
    assert line["error"] == scrubbed
    assert line["attempts"] == [{"detail": scrubbed}]


def test_event_messages_and_exceptions_are_scrubbed(make_settings: SettingsFactory) -> None:
    stream = io.StringIO()
    configure_logging(make_settings(), stream=stream)
    dsn = "postgresql://postgres:hunter2@db:5432/app"

    logging.getLogger("uvicorn.error").warning("cannot reach %s", dsn)
    structlog.stdlib.get_logger("test").warning("upstream_failed", error=ConnectionError(dsn))
    try:
        raise ConnectionError(dsn)
    except ConnectionError:
        structlog.stdlib.get_logger("test").exception("crashed")

    output = stream.getvalue()
    assert "hunter2" not in output
    message, error, crash = (json.loads(line) for line in output.splitlines())
    assert message["event"] == "cannot reach postgresql://[REDACTED]@db:5432/app"
    assert error["error"] == "ConnectionError('postgresql://[REDACTED]@db:5432/app')"
    assert "ConnectionError: postgresql://[REDACTED]@db:5432/app" in crash["exception"]


def test_text_that_only_resembles_a_credential_is_kept(make_settings: SettingsFactory) -> None:
    stream = io.StringIO()
    configure_logging(make_settings(), stream=stream)
    texts = [
        "mail user_a@example.com about https://example.com/share/a@b?to=c@d",
        'WWW-Authenticate: Bearer realm="api"',
        "task_id=7 risk_level=low",
        "-----BEGIN PUBLIC KEY-----",
    ]

    structlog.stdlib.get_logger("test").info("noted", texts=texts)

    assert json.loads(stream.getvalue())["texts"] == texts
