"""The baseline: a bare FastAPI app with one route, served exactly like the generated service."""

from fastapi import FastAPI

app = FastAPI()


@app.get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}
