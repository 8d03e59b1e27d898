"""Operational endpoints for load balancers and orchestrators: public, outside /api/v1."""

from fastapi import APIRouter
from fastapi.responses import JSONResponse, Response

from app.api.deps import ReadinessDep, SettingsDep
from app.models.health import Health, Readiness, VersionInfo

router = APIRouter(tags=["operations"])
# Probed every few seconds by every load balancer: encoded once, not serialized per request.
HEALTHY = Health().model_dump_json().encode()


@router.get("/healthz", response_model=Health)
async def healthz() -> Response:
    """Liveness: the process answers. Checks nothing else, so a slow dependency never kills it."""
    return Response(HEALTHY, media_type="application/json")


@router.get("/readyz", response_model=Readiness, responses={503: {"model": Readiness}})
async def readyz(checks: ReadinessDep) -> JSONResponse:
    """Readiness: every registered dependency check passed within its timeout."""
    results = await checks.run()
    ready = all(result == "ok" for result in results.values())
    body = Readiness(status="ready" if ready else "not_ready", checks=results)
    return JSONResponse(body.model_dump(), status_code=200 if ready else 503)


@router.get("/version")
async def version(settings: SettingsDep) -> VersionInfo:
    return VersionInfo(
        service_name=settings.service_name,
        version=settings.service_version,
        commit=settings.git_commit,
        build_time=settings.build_time,
        environment=settings.environment,
    )
