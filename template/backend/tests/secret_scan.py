"""A pytest plugin: a test fails if anything it printed or logged looks like a credential.

Tokens (JWTs, the anon key included, and whatever follows "Bearer "), PEM private keys, Clerk
secret keys and the credentials in a URL (a DSN's key) must never reach a log line, whatever the
test did. The shapes are the ones log lines are scrubbed of (app.core.logging.CREDENTIAL), so the
two cannot drift apart. The plugin reads what pytest captured for each phase.
"""

from collections.abc import Generator

import pytest

from app.core.logging import CREDENTIAL


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
        for match in [CREDENTIAL.search(content)]
        if match
    ]
    if leaks and report.passed:
        report.outcome = "failed"
        report.longrepr = "A credential-shaped value was printed or logged:\n" + "\n".join(leaks)
