"""Supabase: one client for the whole process, and a per-request view that acts as the caller.

Requests carry the caller's own Clerk session token, so Postgres row-level security, not
only this service's code, decides what each user can reach.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager

import structlog

from app.core import libraries
from app.core.config import Settings
from app.core.errors import ConflictError, ErrorCode, ServiceError
from app.models.errors import ErrorDetail

logger = structlog.get_logger(__name__)


async def create_supabase(
    settings: Settings, http: libraries.httpx.AsyncClient
) -> libraries.supabase.AsyncClient:
    """Shares the service's connection pool and timeouts."""
    return await libraries.supabase.acreate_client(
        settings.supabase_url,
        settings.supabase_anon_key,
        options=libraries.supabase.AsyncClientOptions(
            httpx_client=http,
            # postgrest-py retries failed GETs after 1, 2 and 4 s: a dead database would hold
            # each request for 7 s. Failures are answered at once and retried by the caller.
            postgrest_client_retry=False,
            auto_refresh_token=False,
            persist_session=False,
        ),
    )


class SharedSupabase:
    """The process's one Supabase client, created by the first request that needs it."""

    def __init__(self, create: Callable[[], Awaitable[libraries.supabase.AsyncClient]]) -> None:
        self._create = create
        self._client: libraries.supabase.AsyncClient | None = None
        # Concurrent first requests wait for one client instead of each creating their own.
        self._lock = asyncio.Lock()

    async def get(self) -> libraries.supabase.AsyncClient:
        if self._client is None:
            async with self._lock:
                if self._client is None:
                    self._client = await self._create()
        return self._client

    async def aclose(self) -> None:
        """Close the realtime connection, if any; the HTTP pool is the lifespan's to close.

        The client is forgotten, and the lock renewed (a lock belongs to one event loop): an
        app started again creates a new client in its own loop.
        """
        client, self._client = self._client, None
        self._lock = asyncio.Lock()
        if client is not None:
            await client.remove_all_channels()


def as_user(
    supabase: libraries.supabase.AsyncClient, access_token: str
) -> libraries.postgrest.AsyncPostgrestClient:
    """A PostgREST client that sends the caller's token; it shares the process-wide pool."""
    return supabase.postgrest.schema("public").auth(access_token)


async def check_supabase(http: libraries.httpx.AsyncClient, settings: Settings) -> None:
    """Readiness: the API answers. A 5xx means the gateway, PostgREST or Postgres is down."""
    response = await http.get(
        f"{settings.supabase_url.rstrip('/')}/rest/v1/",
        headers={"apikey": settings.supabase_anon_key},
    )
    if response.status_code >= 500:
        raise ConnectionError(f"Supabase answered {response.status_code}")


# The request never reached the database: PostgREST could not connect (PGRST000) or has no
# schema yet (PGRST002), Postgres is starting (57P03), or the gateway had no PostgREST (503).
NOT_REACHED_CODES = frozenset({"PGRST000", "PGRST002", "57P03", "503"})
# The database went away while it ran, or the gateway lost the answer: it may have been done.
# PostgREST's lost connection (PGRST001), Postgres shutting down (57P01, 57P02), a connection
# error (class 08), 502 and 504.
CUT_OFF_CODES = frozenset({"PGRST001", "57P01", "57P02", "502", "504"})
CONFLICT_CODES = frozenset({"23505", "23503"})  # unique and foreign-key violations
# Check, not-null, too long, and text that is not valid for its column.
INVALID_VALUE_CODES = frozenset({"23514", "23502", "22001", "22P02", "22P05"})
PERMISSION_DENIED = "42501"
UNIQUE_VIOLATION = "23505"
COLUMN_IN_MESSAGE = re.compile(r'column "([^"]+)"')


class DatabaseUnavailableError(ServiceError):
    """Nothing was done: the same request can simply be sent again."""

    status_code = 503
    code = ErrorCode.DATABASE_UNAVAILABLE

    def __init__(self) -> None:
        super().__init__("The database is unavailable and nothing was changed; try again later.")


class DatabaseOutcomeUnknownError(ServiceError):
    """It may have been done: only a retry with the same Idempotency-Key is safe."""

    status_code = 503
    code = ErrorCode.DATABASE_OUTCOME_UNKNOWN

    def __init__(self) -> None:
        super().__init__(
            "The database stopped answering while it worked on the request, so it may or may not "
            "have been done; retry with the same Idempotency-Key, or read before retrying."
        )


@contextmanager
def database_errors(*, writes: bool = False) -> Iterator[None]:
    """Turn client and server failures into the unified error shape, without internals.

    `writes`: the request changes data, so a database cut off while it ran leaves the outcome
    unknown; a read changed nothing either way.
    """
    httpx = libraries.httpx
    try:
        yield
    except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
        logger.warning("database_unreachable", error=type(exc).__name__)
        raise DatabaseUnavailableError from exc
    except httpx.TransportError as exc:
        logger.warning("database_cut_off", error=type(exc).__name__)
        raise (DatabaseOutcomeUnknownError() if writes else DatabaseUnavailableError()) from exc
    except libraries.postgrest.APIError as exc:
        raise error_for(exc, writes=writes) from exc


def error_for(exc: libraries.postgrest.APIError, *, writes: bool) -> ServiceError:
    code = exc.code
    if code in NOT_REACHED_CODES:
        logger.warning("database_unreachable", code=code)
        return DatabaseUnavailableError()
    if code is None or code in CUT_OFF_CODES or code.startswith("08"):
        logger.warning("database_cut_off", code=code, message=exc.message)
        return DatabaseOutcomeUnknownError() if writes else DatabaseUnavailableError()
    refused = _refusal(exc, code)
    if refused is not None:
        # The caller's own mistake, which the database caught: info, not error.
        logger.info("database_refused", code=code, message=exc.message)
        return refused
    logger.error("database_error", code=code, message=exc.message, hint=exc.hint)
    return ServiceError("The request could not be completed.")


def _refusal(exc: libraries.postgrest.APIError, code: str) -> ServiceError | None:
    details = [ErrorDetail(field=_field(exc), message=exc.message, type=f"database.{code}")]
    if code in CONFLICT_CODES:
        return ConflictError("The change conflicts with data that exists.", details=details)
    if code in INVALID_VALUE_CODES:
        return ServiceError(
            "The database refused a value; see details.",
            code=ErrorCode.VALIDATION_ERROR,
            status_code=422,
            details=details,
        )
    if code == PERMISSION_DENIED:
        return ServiceError("You are not allowed to do this.", status_code=403)
    return None


def _field(exc: libraries.postgrest.APIError) -> str:
    column = COLUMN_IN_MESSAGE.search(f"{exc.message} {exc.details}")
    return f"body.{column[1]}" if column else "body"
