"""The baselines: bare FastAPI apps with one route, served exactly like the generated service."""

from fastapi import APIRouter, FastAPI


async def healthz() -> dict[str, str]:
    return {"status": "ok"}


# The route on the app itself: FastAPI's shortest path to an endpoint.
app = FastAPI()
app.add_api_route("/healthz", healthz)

# The route in an included router, as the generated service (like most FastAPI apps) declares its
# routes: since FastAPI 0.137, each included router is a routing layer of its own, walked on every
# request, where earlier versions copied its routes into the app's router.
router = APIRouter()
router.add_api_route("/healthz", healthz)
routed_app = FastAPI()
routed_app.include_router(router)
