"""The identifiers of the request being served, visible to logs and outgoing calls."""

import uuid
from contextvars import ContextVar
from typing import NamedTuple


class RequestIds(NamedTuple):
    request_id: str
    correlation_id: str


current_request: ContextVar[RequestIds | None] = ContextVar("current_request", default=None)


class RequestUser:
    """Who the request acts for, once authentication knows; the request's log line reports it.

    The request middleware puts one in `current_user` before the app runs, and
    `note_signed_in_user` fills it: the same object, so it is seen however the app copied the
    context (a threadpool, a task group).
    """

    __slots__ = ("user_id",)

    def __init__(self) -> None:
        self.user_id: str | None = None


current_user: ContextVar[RequestUser | None] = ContextVar("current_user", default=None)


def note_signed_in_user(user_id: str) -> None:
    user = current_user.get()
    if user is not None:
        user.user_id = user_id


def new_request_id() -> str:
    """A random UUID4: every request gets one."""
    # Raw bits would save 1.1 µs, 4% of a logged request (the template's bench/speedups.py).
    return str(uuid.uuid4())
