"""The identifiers of the request being served, visible to logs and outgoing calls."""

from contextvars import ContextVar
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class RequestIds:
    request_id: str
    correlation_id: str


current_request: ContextVar[RequestIds | None] = ContextVar("current_request", default=None)
