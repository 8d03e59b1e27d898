"""Error reporting to Sentry, switched on by setting SENTRY_DSN.

The SDK is imported only when a DSN is set: it is large, and a service without Sentry should
not pay for it at every start.
"""

import logging
import sys

from app.core.config import Settings


def init_sentry(settings: Settings) -> bool:
    """Start the Sentry client if a DSN is configured; say whether it started."""
    if settings.sentry_dsn is None:
        return False
    import sentry_sdk
    from sentry_sdk.integrations.httpx import HttpxIntegration
    from sentry_sdk.integrations.logging import LoggingIntegration

    sentry_sdk.init(
        dsn=settings.sentry_dsn.get_secret_value(),
        environment=str(settings.environment),
        release=f"{settings.service_name}@{settings.service_version}",
        traces_sample_rate=settings.sentry_traces_sample_rate,
        # Who the user is, request bodies and local variables (which may hold tokens)
        # stay out of error reports.
        data_collection={"user_info": False, "http_bodies": []},
        include_local_variables=False,
        # Logs become breadcrumbs, not events: an error is reported once, by the exception
        # itself, not again by each error-level log line about it.
        integrations=[LoggingIntegration(level=logging.INFO, event_level=None)],
        # Every outgoing call leaves through aiohttp (app/core/aiohttp_transport.py), where
        # Sentry's aiohttp integration records it. Plain calls skip the httpx method that the
        # httpx integration wraps, and the others would be recorded twice.
        disabled_integrations=[HttpxIntegration()],
    )
    return True


def report_exception(exc: BaseException) -> None:
    """Send an unexpected exception to Sentry, if Sentry was started."""
    sentry_sdk = sys.modules.get("sentry_sdk")
    if sentry_sdk is not None:
        sentry_sdk.capture_exception(exc)


def flush_sentry() -> None:
    """Deliver the events still queued, before the process exits."""
    sentry_sdk = sys.modules.get("sentry_sdk")
    if sentry_sdk is not None:
        sentry_sdk.flush(timeout=2)
