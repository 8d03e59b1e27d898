"""Business logic of the example resource: every query is scoped to its owner."""

from __future__ import annotations

import hashlib
import json
from typing import TYPE_CHECKING, Any, TypeVar
from uuid import UUID

from app.core import libraries
from app.core.errors import ConflictError, ErrorCode, NotFoundError
from app.core.supabase import UNIQUE_VIOLATION, database_errors
from app.models.entities import Entity, EntityCreate, EntityPage, EntityUpdate

if TYPE_CHECKING:
    # Types only: postgrest-py is read from app.core.libraries where it is used.
    from postgrest._async.request_builder import AsyncRequestBuilder
    from postgrest.base_request_builder import BaseFilterRequestBuilder

    Query = TypeVar("Query", bound=BaseFilterRequestBuilder[Any])

COLUMNS = "id,title,description,owner_id,created_at,updated_at"
# PostgREST answers 416 to an offset past the last row when it counts; that is an empty page.
OFFSET_PAST_THE_END = "PGRST103"
IDEMPOTENCY_INDEX = "entities_owner_idempotency_key_idx"


class EntityNotFoundError(NotFoundError):
    code = ErrorCode.ENTITY_NOT_FOUND

    def __init__(self, entity_id: UUID) -> None:
        super().__init__(f"Entity {entity_id} was not found.")


class EntityService:
    """Entities of one owner.

    Row-level security already hides other owners' rows; the explicit owner filter keeps
    that true even for a client that bypasses RLS, and lets Postgres use the owner index.
    Another owner's entity is reported as not found, never as forbidden, so ids leak nothing.
    """

    def __init__(self, database: libraries.postgrest.AsyncPostgrestClient, owner_id: str) -> None:
        self._database = database
        self.owner_id = owner_id

    def _table(self) -> AsyncRequestBuilder:
        return self._database.from_("entities")

    async def create(self, new: EntityCreate, idempotency_key: str | None = None) -> Entity:
        """The owner is the database's to set, from the token's `sub`.

        With an idempotency key, a repeat of the same create returns the entity the first one
        made; the same key with another body is a conflict.
        """
        row: dict[str, Any] = new.model_dump()
        fingerprint = ""
        if idempotency_key is not None:
            # Only creates that may be retried pay for it.
            fingerprint = hashlib.sha256(json.dumps(row, sort_keys=True).encode()).hexdigest()
            row |= {"idempotency_key": idempotency_key, "request_fingerprint": fingerprint}
        with database_errors(writes=True):
            try:
                response = await self._table().insert(row).execute()
            except libraries.postgrest.APIError as exc:
                if idempotency_key is None or not _violates(exc, IDEMPOTENCY_INDEX):
                    raise
                return await self._created_before(idempotency_key, fingerprint)
        return Entity.model_validate(response.data[0])

    async def _created_before(self, idempotency_key: str, fingerprint: str) -> Entity:
        response = (
            await self._table()
            .select(f"{COLUMNS},request_fingerprint")
            .eq("owner_id", self.owner_id)
            .eq("idempotency_key", idempotency_key)
            .execute()
        )
        (row,) = response.data
        if not isinstance(row, dict) or row.pop("request_fingerprint") != fingerprint:
            raise ConflictError(
                "This Idempotency-Key was already used for a different entity; use a new key."
            )
        return Entity.model_validate(row)

    async def page(self, *, offset: int, limit: int) -> EntityPage:
        """One page, and the count: exact up to PostgREST's row limit (db-max-rows, 1000 on
        Supabase), the planner's estimate beyond, so a long list never costs a full COUNT(*)."""
        postgrest = libraries.postgrest
        with database_errors():
            try:
                response = (
                    await self._table()
                    .select(COLUMNS, count=postgrest.CountMethod.estimated)
                    .eq("owner_id", self.owner_id)
                    .order("created_at", desc=True)
                    .order("id")
                    .limit(limit)
                    .offset(offset)
                    .execute()
                )
            except postgrest.APIError as exc:
                if exc.code != OFFSET_PAST_THE_END:
                    raise
                return EntityPage(data=[], count=await self._count())
        return EntityPage(
            data=[Entity.model_validate(row) for row in response.data], count=response.count or 0
        )

    async def _count(self) -> int:
        response = (
            await self._table()
            .select("id", count=libraries.postgrest.CountMethod.estimated, head=True)
            .eq("owner_id", self.owner_id)
            .execute()
        )
        return response.count or 0

    async def get(self, entity_id: UUID) -> Entity:
        with database_errors():
            response = await self._mine(self._table().select(COLUMNS), entity_id).execute()
        return self._one(response.data, entity_id)

    async def update(self, entity_id: UUID, changes: EntityUpdate) -> Entity:
        values = changes.model_dump(exclude_unset=True)
        if not values:
            return await self.get(entity_id)
        with database_errors(writes=True):
            response = await self._mine(self._table().update(values), entity_id).execute()
        return self._one(response.data, entity_id)

    async def delete(self, entity_id: UUID) -> None:
        with database_errors(writes=True):
            response = await self._mine(self._table().delete(), entity_id).execute()
        self._one(response.data, entity_id)

    def _mine(self, query: Query, entity_id: UUID) -> Query:
        """The one entity with this id, if it is the owner's: what every query of one entity
        filters by."""
        return query.eq("id", str(entity_id)).eq("owner_id", self.owner_id)

    @staticmethod
    def _one(rows: list[Any], entity_id: UUID) -> Entity:
        if not rows:
            raise EntityNotFoundError(entity_id)
        return Entity.model_validate(rows[0])


def _violates(exc: Any, index: str) -> bool:
    return exc.code == UNIQUE_VIOLATION and index in f"{exc.message} {exc.details}"
