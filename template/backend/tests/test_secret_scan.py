"""The guard against logged secrets (tests/secret_scan.py) fails a test that leaks one."""

from pathlib import Path

import pytest

LEAKY_TESTS = """
import logging

TOKEN = "eyJhbGciOiJSUzI1NiJ9" + ".eyJzdWIiOiJ1c2VyX2EifQ" + ".c2lnbmF0dXJl"

def test_logs_a_token():
    logging.getLogger("app").warning("auth header was Bearer %s", TOKEN)

def test_prints_a_key():
    print("-----BEGIN PRIVATE KEY-----")

def test_prints_a_dsn():
    print("sentry at https://abc123@o1.ingest.sentry.io/1")

def test_prints_a_database_password():
    print("connect to postgresql://postgres:hunter2@db:5432/app failed")

def test_prints_an_opaque_bearer_token():
    print("sent Authorization: Bearer opaque-session-token")

def test_prints_a_clerk_key():
    print("clerk rejected sk_live_abc123DEF")

def test_says_nothing_secret():
    print("user_a created entity 42; mail user_a@example.com")
    print('WWW-Authenticate: Bearer realm="api"; -----BEGIN PUBLIC KEY-----')
    # What the logs write instead of a credential.
    print("postgresql://[REDACTED]@db:5432/app Bearer [REDACTED]")
"""


def test_a_leaking_test_fails_and_a_clean_one_passes(
    pytester: pytest.Pytester,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    pytester.makepyfile(test_leaks=LEAKY_TESTS)
    monkeypatch.setenv("PYTHONPATH", str(Path(__file__).resolve().parents[1]))

    # In a separate process, so the leaks stay out of this test's own captured logs.
    result = pytester.runpytest_subprocess("-p", "tests.secret_scan", "-rf")
    capsys.readouterr()  # pytester echoes the run; that echo is not this test's output

    result.assert_outcomes(passed=1, failed=6)
    failed = {line.split()[1] for line in result.stdout.lines if line.startswith("FAILED ")}
    assert "test_leaks.py::test_says_nothing_secret" not in failed
    reports = [line for line in result.stdout.lines if line.startswith("A credential-shaped value")]
    assert len(reports) == 6
