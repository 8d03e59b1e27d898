"""The example resource: create, list, read, change and delete your own entities."""

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Header, Query, Response, status

from app.api.deps import EntityServiceDep
from app.models.entities import Entity, EntityCreate, EntityPage, EntityUpdate, IdempotencyKey
from app.models.errors import ErrorResponse

router = APIRouter(
    prefix="/entities",
    tags=["entities"],
    responses={
        401: {"model": ErrorResponse, "description": "Missing, expired or invalid token"},
        503: {"model": ErrorResponse, "description": "A dependency is unavailable"},
    },
)
# Deeper than this, offset paging is the wrong tool (and Postgres would overflow first).
MAX_OFFSET = 1_000_000
NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorResponse, "description": "No such entity of yours"}
}


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    responses={409: {"model": ErrorResponse, "description": "Idempotency-Key reused"}},
)
async def create_entity(
    new: EntityCreate,
    entities: EntityServiceDep,
    idempotency_key: Annotated[
        IdempotencyKey | None,
        Header(
            alias="Idempotency-Key",
            description="Any unique string; a retry with the same key creates nothing new",
        ),
    ] = None,
) -> Entity:
    return await entities.create(new, idempotency_key)


@router.get("")
async def list_entities(
    entities: EntityServiceDep,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET, description="Entities to skip")] = 0,
    limit: Annotated[int, Query(ge=1, le=100, description="Entities to return")] = 20,
) -> EntityPage:
    """Your entities, newest first; `count` is the total, for paging."""
    return await entities.page(offset=offset, limit=limit)


@router.get("/{entity_id}", responses=NOT_FOUND)
async def get_entity(entity_id: UUID, entities: EntityServiceDep) -> Entity:
    return await entities.get(entity_id)


@router.patch("/{entity_id}", responses=NOT_FOUND)
async def update_entity(
    entity_id: UUID, changes: EntityUpdate, entities: EntityServiceDep
) -> Entity:
    return await entities.update(entity_id, changes)


@router.delete("/{entity_id}", status_code=status.HTTP_204_NO_CONTENT, responses=NOT_FOUND)
async def delete_entity(entity_id: UUID, entities: EntityServiceDep) -> Response:
    await entities.delete(entity_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
