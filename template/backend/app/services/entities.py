"""Business logic of the example resource: every query is scoped to its owner."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from uuid import UUID

from app.core.errors import ErrorCode, NotFoundError
from app.core.supabase import database_errors
from app.models.entities import Entity, EntityCreate, EntityPage, EntityUpdate

# postgrest-py loads with the Supabase client, on first use (see app/core/supabase.py).
if TYPE_CHECKING:
    from postgrest import AsyncPostgrestClient
    from postgrest._async.request_builder import AsyncRequestBuilder

COLUMNS = "id,title,description,owner_id,created_at,updated_at"
# PostgREST answers 416 to an offset past the last row when it counts; that is an empty page.
OFFSET_PAST_THE_END = "PGRST103"


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

    def __init__(self, database: AsyncPostgrestClient, owner_id: str) -> None:
        self._database = database
        self.owner_id = owner_id

    def _table(self) -> AsyncRequestBuilder:
        return self._database.from_("entities")

    async def create(self, new: EntityCreate) -> Entity:
        row = {**new.model_dump(), "owner_id": self.owner_id}
        with database_errors():
            response = await self._table().insert(row).execute()
        return Entity.model_validate(response.data[0])

    async def page(self, *, offset: int, limit: int) -> EntityPage:
        from postgrest import APIError, CountMethod

        with database_errors():
            try:
                response = (
                    await self._table()
                    .select(COLUMNS, count=CountMethod.exact)
                    .eq("owner_id", self.owner_id)
                    .order("created_at", desc=True)
                    .order("id")
                    .limit(limit)
                    .offset(offset)
                    .execute()
                )
            except APIError as exc:
                if exc.code != OFFSET_PAST_THE_END:
                    raise
                return EntityPage(data=[], count=await self._count())
        return EntityPage(
            data=[Entity.model_validate(row) for row in response.data], count=response.count or 0
        )

    async def _count(self) -> int:
        from postgrest import CountMethod

        response = (
            await self._table()
            .select("id", count=CountMethod.exact, head=True)
            .eq("owner_id", self.owner_id)
            .execute()
        )
        return response.count or 0

    async def get(self, entity_id: UUID) -> Entity:
        with database_errors():
            response = (
                await self._table()
                .select(COLUMNS)
                .eq("id", str(entity_id))
                .eq("owner_id", self.owner_id)
                .execute()
            )
        return self._one(response.data, entity_id)

    async def update(self, entity_id: UUID, changes: EntityUpdate) -> Entity:
        values = changes.model_dump(exclude_unset=True)
        if not values:
            return await self.get(entity_id)
        with database_errors():
            response = (
                await self._table()
                .update(values)
                .eq("id", str(entity_id))
                .eq("owner_id", self.owner_id)
                .execute()
            )
        return self._one(response.data, entity_id)

    async def delete(self, entity_id: UUID) -> None:
        with database_errors():
            response = (
                await self._table()
                .delete()
                .eq("id", str(entity_id))
                .eq("owner_id", self.owner_id)
                .execute()
            )
        self._one(response.data, entity_id)

    @staticmethod
    def _one(rows: list[Any], entity_id: UUID) -> Entity:
        if not rows:
            raise EntityNotFoundError(entity_id)
        return Entity.model_validate(rows[0])
