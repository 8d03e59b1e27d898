"""The error body every failure returns (documented in the OpenAPI schema)."""

from pydantic import BaseModel


class ErrorDetail(BaseModel):
    field: str
    message: str
    type: str


class ErrorResponse(BaseModel):
    error: str
    message: str
    code: str
    request_id: str
    details: list[ErrorDetail] | None = None
