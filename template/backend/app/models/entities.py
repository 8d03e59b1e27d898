"""Shapes of the example resource, as the API receives and returns it."""

from datetime import datetime
from typing import Annotated
from uuid import UUID

from pydantic import BaseModel, ConfigDict, StringConstraints, field_validator

# PostgreSQL's text cannot hold a NUL character: refuse it here, as a validation error.
NO_NUL = r"^[^\x00]*$"
Title = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=255, pattern=NO_NUL)
]
Description = Annotated[str, StringConstraints(max_length=1000, pattern=NO_NUL)]
# A client's name for one create, so that sending it again cannot create it twice.
IdempotencyKey = Annotated[
    str, StringConstraints(min_length=1, max_length=255, pattern=r"^[!-~]+$")
]


class EntityCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: Title
    description: Description | None = None


class EntityUpdate(BaseModel):
    """Only the fields sent are changed; `description: null` clears the description."""

    model_config = ConfigDict(extra="forbid")

    title: Title | None = None
    description: Description | None = None

    @field_validator("title")
    @classmethod
    def title_cannot_be_cleared(cls, title: str | None) -> str | None:
        # Runs only when a title was sent: leaving it out is how a patch keeps it.
        if title is None:
            raise ValueError("title can be changed but not cleared")
        return title


class Entity(BaseModel):
    id: UUID
    title: str
    description: str | None
    owner_id: str
    created_at: datetime
    updated_at: datetime


class EntityPage(BaseModel):
    data: list[Entity]
    count: int
