import io
import json
import logging

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
