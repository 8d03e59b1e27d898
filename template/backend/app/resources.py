"""What the service's requests share, typed: one `Resources` per app, read with `resources_of`.

`create_app` builds it (`build_resources` in main.py) and stores it once as
`app.state.resources`; dependencies (app/api/deps.py) and tests read it back through
`resources_of(app)` rather than reaching for untyped attributes of `app.state`.
"""

from dataclasses import dataclass

from starlette.applications import Starlette

from app.core.auth import ClerkAuthenticator
from app.core.config import Settings
from app.core.http_client import ServiceClients, SharedHttpClient
from app.core.rate_limit import RateLimiter
from app.core.supabase import SharedSupabase
from app.services.readiness import ReadinessChecks


@dataclass(frozen=True, slots=True)
class Resources:
    """Built with the app, cheaply: the connection pool, the Supabase client and Clerk's SDK
    are opened or loaded by the first request that needs them, and closed by the lifespan."""

    settings: Settings
    # Also given to RateLimitMiddleware: both limits count in this one limiter.
    rate_limiter: RateLimiter
    authenticator: ClerkAuthenticator
    readiness: ReadinessChecks
    http: SharedHttpClient
    service_clients: ServiceClients
    supabase: SharedSupabase

    async def aclose(self) -> None:
        """At shutdown: Supabase's realtime connection, then the pool it shares."""
        await self.supabase.aclose()
        await self.http.aclose()


def resources_of(app: Starlette) -> Resources:
    """The resources `create_app` stored on this app (`request.app` in a dependency)."""
    resources: Resources = app.state.resources
    return resources
