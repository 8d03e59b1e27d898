"""Supabase: one client for the whole process, and a per-request view that acts as the caller.

Requests carry the caller's own Clerk session token, so Postgres row-level security, not
only this service's code, decides what each user can reach.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import structlog

from app.core.config import Settings
from app.core.errors import ErrorCode, ServiceError

# supabase-py, postgrest-py and httpx are imported where they are used, not with the app: a
# starting service would spend that time before it answers /healthz.
if TYPE_CHECKING:
    import httpx
    from postgrest import AsyncPostgrestClient
    from supabase import AsyncClient

logger = structlog.get_logger(__name__)


async def create_supabase(settings: Settings, http: httpx.AsyncClient) -> AsyncClient:
    """Shares the service's connection pool and timeouts."""
    from supabase import AsyncClientOptions, acreate_client

    return await acreate_client(
        settings.supabase_url,
        settings.supabase_anon_key,
        options=AsyncClientOptions(
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

    def __init__(self, create: Callable[[], Awaitable[AsyncClient]]) -> None:
        self._create = create
        self._client: AsyncClient | None = None
        # Concurrent first requests wait for one client instead of each creating their own.
        self._lock = asyncio.Lock()

    async def get(self) -> AsyncClient:
        if self._client is None:
            async with self._lock:
                if self._client is None:
                    self._client = await self._create()
        return self._client

    async def aclose(self) -> None:
        """Close the realtime connection, if any; the HTTP pool is the lifespan's to close."""
        if self._client is not None:
            await self._client.remove_all_channels()


def as_user(supabase: AsyncClient, access_token: str) -> AsyncPostgrestClient:
    """A PostgREST client that sends the caller's token; it shares the process-wide pool."""
    return supabase.postgrest.schema("public").auth(access_token)


async def check_supabase(http: httpx.AsyncClient, settings: Settings) -> None:
    """Readiness: the API answers. A 5xx means the gateway, PostgREST or Postgres is down."""
    response = await http.get(
        f"{settings.supabase_url.rstrip('/')}/rest/v1/",
        headers={"apikey": settings.supabase_anon_key},
    )
    if response.status_code >= 500:
        raise ConnectionError(f"Supabase answered {response.status_code}")


# PostgREST cannot reach Postgres (PGRST000-002), or the gateway in front of PostgREST failed
# (its errors carry no PostgREST code, or just the HTTP status).
UNAVAILABLE_CODES = frozenset({"PGRST000", "PGRST001", "PGRST002", "502", "503", "504"})


class DatabaseUnavailableError(ServiceError):
    status_code = 503
    code = ErrorCode.DATABASE_UNAVAILABLE


@contextmanager
def database_errors() -> Iterator[None]:
    """Turn client and server failures into the unified error shape, without internals."""
    import httpx
    from postgrest import APIError

    try:
        yield
    except httpx.TransportError as exc:
        logger.warning("database_unreachable", error=type(exc).__name__)
        raise DatabaseUnavailableError("The database is unavailable; try again later.") from exc
    except APIError as exc:
        logger.error("database_error", code=exc.code, message=exc.message, hint=exc.hint)
        if exc.code is None or exc.code in UNAVAILABLE_CODES:
            raise DatabaseUnavailableError("The database is unavailable; try again later.") from exc
        raise ServiceError("The request could not be completed.") from exc
