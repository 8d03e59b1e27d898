"""Builds the ASGI application: `uvicorn app.main:create_app --factory`."""

import json
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import structlog
from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.routing import APIRoute
from pydantic import ValidationError
from starlette.types import ASGIApp, Receive, Scope, Send

from app.api.router import API_PREFIX, api_router
from app.api.routes import health
from app.core.auth import ClerkAuthenticator
from app.core.config import Settings, get_settings
from app.core.errors import EXCEPTION_HANDLERS
from app.core.http_client import ServiceClients, SharedHttpClient
from app.core.logging import configure_logging
from app.core.middleware import RequestContextMiddleware
from app.core.rate_limit import RateLimiter, RateLimitMiddleware
from app.core.sentry import flush_sentry, init_sentry
from app.core.supabase import SharedSupabase, check_supabase, create_supabase
from app.resources import Resources, resources_of
from app.services.readiness import ReadinessChecks

logger = structlog.get_logger(__name__)


def build_resources(settings: Settings) -> Resources:
    """What requests share, built once with the app; register further readiness checks here."""
    http = SharedHttpClient(settings)
    readiness = ReadinessChecks(timeout_seconds=settings.readiness_timeout_seconds)
    readiness.register("supabase", lambda: check_supabase(http.get(), settings))
    return Resources(
        settings=settings,
        rate_limiter=RateLimiter.from_settings(settings),
        authenticator=ClerkAuthenticator(settings),
        readiness=readiness,
        http=http,
        service_clients=ServiceClients(settings, http),
        supabase=SharedSupabase(lambda: create_supabase(settings, http.get())),
    )


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    resources = resources_of(app)
    settings = resources.settings
    sentry_enabled = init_sentry(settings)
    if not settings.is_deployed:
        # Said at every start, so that a deployed service left on local is noticed.
        logger.warning(
            "local_environment",
            hint="ENVIRONMENT=local: the checks of staging and production are off; "
            "set ENVIRONMENT wherever the service is deployed",
        )
    logger.info("startup", sentry=sentry_enabled)
    try:
        yield
    finally:
        logger.info("shutdown")
        await resources.aclose()
        if sentry_enabled:
            flush_sentry()


def operation_id(route: APIRoute) -> str:
    """Operation ids are the route functions' names, so generated clients read `listEntities`."""
    return route.name


class TrailingSlashIgnored:
    """`/api/v1/entities/` is answered as `/api/v1/entities` is, not redirected to it.

    Starlette's 307 costs a second round trip, and clients that do not follow redirects (httpx,
    unless told to) get no answer at all. Routes are declared without a trailing slash, so each
    path is declared, and listed in the OpenAPI document, once.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and len(scope["path"]) > 1 and scope["path"].endswith("/"):
            scope = {**scope, "path": scope["path"].rstrip("/") or "/"}
        await self.app(scope, receive, send)


def settings_or_exit() -> Settings:
    """The environment's settings; refused ones end the start with one JSON line naming them
    (logging is not set up yet, and a traceback would be plain text among the JSON lines)."""
    try:
        return get_settings()
    except ValidationError as error:
        refused = [
            {"setting": ".".join(str(part) for part in detail["loc"]).upper() or None}
            | {"message": detail["msg"]}
            for detail in error.errors(include_input=False, include_url=False)
        ]
        line = {"event": "invalid_settings", "level": "error", "refused": refused}
        print(json.dumps(line), file=sys.stderr, flush=True)
        raise SystemExit(3) from None


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or settings_or_exit()
    configure_logging(settings)
    resources = build_resources(settings)
    docs = settings.serves_api_docs
    app = FastAPI(
        title=settings.project_name,
        version=settings.service_version,
        lifespan=lifespan,
        exception_handlers=EXCEPTION_HANDLERS,
        docs_url="/docs" if docs else None,
        redoc_url=None,
        openapi_url="/openapi.json" if docs else None,
        generate_unique_id_function=operation_id,
        # TrailingSlashIgnored serves both forms; a redirect to a slashed path would come back
        # stripped, and loop.
        redirect_slashes=False,
    )
    app.state.resources = resources
    app.include_router(health.router)
    app.include_router(api_router, prefix=API_PREFIX)
    # Inside CORS, so that a browser can read a 429, and inside RequestContextMiddleware, so
    # that a 429 has the request id and the security headers and is logged.
    app.add_middleware(RateLimitMiddleware, limiter=resources.rate_limiter)
    if settings.cors_origins:
        # No credentials: callers send a Bearer token, never a cookie, and without them `*`
        # is answered as `*` rather than echoing whichever origin asked.
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["*"],
            allow_headers=["*"],
            expose_headers=["X-Request-ID", "X-Correlation-ID", "Retry-After"],
        )
    # Around everything else, so it sees every response, CORS preflights included; only
    # TrailingSlashIgnored, which answers nothing itself, wraps it, so it sees the path served.
    app.add_middleware(
        RequestContextMiddleware,
        hsts=settings.is_deployed,
        max_body_bytes=settings.max_request_body_bytes,
    )
    app.add_middleware(TrailingSlashIgnored)
    return app
