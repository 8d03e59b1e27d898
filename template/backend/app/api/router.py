"""Every versioned API route, mounted under /api/v1 by app.main."""

from fastapi import APIRouter

from app.api.routes import entities
from app.models.errors import ErrorResponse

API_PREFIX = "/api/v1"

# Every versioned operation documents the unified error body for its failures.
api_router = APIRouter(
    responses={
        413: {"model": ErrorResponse, "description": "Request body too large"},
        422: {"model": ErrorResponse, "description": "Validation error"},
        429: {"model": ErrorResponse, "description": "Too many requests"},
        500: {"model": ErrorResponse, "description": "Unexpected error"},
    }
)
api_router.include_router(entities.router)
