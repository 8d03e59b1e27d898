"""Builds the ASGI application: `uvicorn app.main:create_app --factory`."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import structlog
from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.routing import APIRoute

from app.api.router import API_PREFIX, api_router
from app.api.routes import health
from app.core.auth import ClerkAuthenticator
from app.core.config import Settings, get_settings
from app.core.errors import EXCEPTION_HANDLERS
from app.core.http_client import ServiceClients, SharedHttpClient
from app.core.logging import configure_logging
from app.core.middleware import RequestContextMiddleware
from app.core.sentry import flush_sentry, init_sentry
from app.core.supabase import SharedSupabase, check_supabase, create_supabase
from app.services.readiness import ReadinessChecks

logger = structlog.get_logger(__name__)


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    settings: Settings = app.state.settings
    sentry_enabled = init_sentry(settings)
    http = SharedHttpClient(settings)
    app.state.service_clients = ServiceClients(settings, http)
    supabase = SharedSupabase(lambda: create_supabase(settings, http.get()))
    app.state.supabase = supabase
    app.state.authenticator = ClerkAuthenticator(settings)
    app.state.readiness = ReadinessChecks(timeout_seconds=settings.readiness_timeout_seconds)
    app.state.readiness.register("supabase", lambda: check_supabase(http.get(), settings))
    logger.info("startup", sentry=sentry_enabled)
    try:
        yield
    finally:
        logger.info("shutdown")
        await supabase.aclose()
        await http.aclose()
        if sentry_enabled:
            flush_sentry()


def operation_id(route: APIRoute) -> str:
    """Operation ids are the route functions' names, so generated clients read `listEntities`."""
    return route.name


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    configure_logging(settings)
    docs = not settings.is_production
    app = FastAPI(
        title=settings.project_name,
        version=settings.service_version,
        lifespan=lifespan,
        exception_handlers=EXCEPTION_HANDLERS,
        docs_url="/docs" if docs else None,
        redoc_url=None,
        openapi_url="/openapi.json" if docs else None,
        generate_unique_id_function=operation_id,
    )
    app.state.settings = settings
    app.include_router(health.router)
    app.include_router(api_router, prefix=API_PREFIX)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_credentials=True,
            allow_methods=["*"],
            allow_headers=["*"],
            expose_headers=["X-Request-ID", "X-Correlation-ID"],
        )
    # Added last, so it is the outermost layer: it sees every response, CORS preflights included.
    app.add_middleware(
        RequestContextMiddleware,
        hsts=settings.is_production,
        max_body_bytes=settings.max_request_body_bytes,
    )
    return app
