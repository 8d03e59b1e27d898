"""The floor of the service's stack on its authenticated list: FastAPI on uvicorn with one route
that does only what the list cannot do without. It checks the bearer token (once per token, as
the service remembers a verified one), asks PostgREST for the caller's page through one aiohttp
pool, and answers PostgREST's rows and count as they came. Nothing else: no middleware, ids, log
line, validation, query builder or httpx. Served like the service, with its environment."""

import os

import aiohttp
import jwt
from fastapi import APIRouter, FastAPI, HTTPException, Request, Response

KEY = os.environ["CLERK_JWT_KEY"]
REST = os.environ["SUPABASE_URL"].rstrip("/") + "/rest/v1/entities"
APIKEY = os.environ["SUPABASE_ANON_KEY"]
COLUMNS = "id,title,description,owner_id,created_at,updated_at"

owners: dict[str, str] = {}
pool: list[aiohttp.ClientSession] = []


async def list_entities(request: Request, offset: int = 0, limit: int = 20) -> Response:
    token = request.headers.get("authorization", "").removeprefix("Bearer ")
    owner = owners.get(token)
    if owner is None:
        try:
            claims = jwt.decode(token, KEY, algorithms=["RS256"], options={"verify_aud": False})
        except jwt.InvalidTokenError as exc:
            raise HTTPException(401) from exc
        owner = owners[token] = claims["sub"]
    if not pool:
        pool.append(aiohttp.ClientSession())
    query = (
        f"select={COLUMNS}&owner_id=eq.{owner}&order=created_at.desc,id.asc"
        f"&limit={limit}&offset={offset}"
    )
    headers = {"apikey": APIKEY, "Authorization": f"Bearer {token}", "Prefer": "count=estimated"}
    async with pool[0].get(f"{REST}?{query}", headers=headers) as answer:
        rows = await answer.read()
        count = answer.headers["Content-Range"].rpartition("/")[2]
    page = b'{"data":%s,"count":%s}' % (rows, count.encode())
    return Response(page, media_type="application/json")


async def healthz() -> dict[str, str]:
    return {"status": "ok"}


# Routed like the service and the routed bare app: in an included router.
router = APIRouter()
router.add_api_route("/api/v1/entities", list_entities)
router.add_api_route("/healthz", healthz)
app = FastAPI()
app.include_router(router)
