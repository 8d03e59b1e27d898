"""A pytest plugin: a test fails if anything it printed or logged looks like a credential.

Tokens (JWTs, the anon key included), PEM keys, Clerk secret keys and DSN credentials must never
reach a log line, whatever the test did. The plugin reads what pytest captured for each phase.
"""

import re
from collections.abc import Generator

import pytest

SECRET_SHAPES = re.compile(
    r"eyJ[\w-]{8,}\.eyJ[\w-]{8,}\.[\w-]+"  # a JWT: header.payload.signature
    r"|-----BEGIN [A-Z ]*KEY-----"  # a PEM key
    r"|\bsk_(?:test|live)_\w+"  # a Clerk secret key
    r"|\b[a-z]+://[^/\s:@]+(?::[^/\s@]+)?@"  # credentials in a URL (a DSN's key)
)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport]:
    outcome = yield
    report = outcome.get_result()
    leaks = [
        f"{section}: ...{match.group()[:12]}..."
        for section, content in report.sections
        # Each phase's report also carries the earlier phases' output: judge only its own.
        if section.endswith(f" {report.when}")
        for match in [SECRET_SHAPES.search(content)]
        if match
    ]
    if leaks and report.passed:
        report.outcome = "failed"
        report.longrepr = "A credential-shaped value was printed or logged:\n" + "\n".join(leaks)
