"""Supabase: one client for the whole process, and a per-request view that acts as the caller.

Requests carry the caller's own Clerk session token, so Postgres row-level security, not
only this service's code, decides what each user can reach.
"""

from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import structlog
from postgrest import APIError, AsyncPostgrestClient
from supabase import AsyncClient, AsyncClientOptions, acreate_client

from app.core.config import Settings
from app.core.errors import ErrorCode, ServiceError

logger = structlog.get_logger(__name__)


async def create_supabase(settings: Settings, http: httpx.AsyncClient) -> AsyncClient:
    """Created once in the lifespan; shares the service's connection pool and timeouts."""
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
