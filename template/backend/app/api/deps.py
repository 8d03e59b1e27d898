"""Typed dependencies for route handlers; override any of them in tests."""

from typing import TYPE_CHECKING, Annotated

from fastapi import Depends, Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from app.core.auth import Principal
from app.core.config import Settings
from app.core.http_client import ServiceClients
from app.core.request_context import note_signed_in_user
from app.core.supabase import as_user
from app.resources import resources_of
from app.services.entities import EntityService
from app.services.readiness import ReadinessChecks

# FastAPI reads these annotations when the app starts, so the client's type is named in a string
# it cannot resolve: resolving it would import supabase-py (app/core/libraries.py).
if TYPE_CHECKING:
    from supabase import AsyncClient


def get_app_settings(request: Request) -> Settings:
    """The settings the app was built with (tests build apps with settings of their own)."""
    return resources_of(request.app).settings


def get_readiness_checks(request: Request) -> ReadinessChecks:
    return resources_of(request.app).readiness


def get_service_clients(request: Request) -> ServiceClients:
    return resources_of(request.app).service_clients


async def get_supabase(request: Request) -> "AsyncClient":
    return await resources_of(request.app).supabase.get()


# Declares the scheme in the OpenAPI document (the docs' "Authorize" button); the raw header
# is still read below, so that a missing and a malformed header get different error codes.
bearer_scheme = HTTPBearer(auto_error=False, description="A Clerk session token")


async def get_principal(
    request: Request,
    _: Annotated[HTTPAuthorizationCredentials | None, Security(bearer_scheme)],
) -> Principal:
    resources = resources_of(request.app)
    principal = await resources.authenticator.authenticate(request.headers.get("Authorization"))
    note_signed_in_user(principal.user_id)
    # Only now that the token is verified: a claimed `sub` must never spend that user's budget.
    resources.rate_limiter.check_user(principal.user_id)
    return principal


SettingsDep = Annotated[Settings, Depends(get_app_settings)]
ReadinessDep = Annotated[ReadinessChecks, Depends(get_readiness_checks)]
ServiceClientsDep = Annotated[ServiceClients, Depends(get_service_clients)]
SupabaseDep = Annotated["AsyncClient", Depends(get_supabase)]
PrincipalDep = Annotated[Principal, Depends(get_principal)]


# Async, though it awaits nothing: FastAPI runs a plain `def` dependency in a worker thread,
# which costs each request a thread handoff.
async def get_entity_service(supabase: SupabaseDep, principal: PrincipalDep) -> EntityService:
    return EntityService(as_user(supabase, principal.access_token), owner_id=principal.user_id)


EntityServiceDep = Annotated[EntityService, Depends(get_entity_service)]
