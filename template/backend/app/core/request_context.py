"""The identifiers of the request being served, visible to logs and outgoing calls."""

import os
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
    """A random UUID4, as `str(uuid.uuid4())` writes it, at a third of the cost.

    Every request gets one, and building the `uuid.UUID` object is most of `uuid4()`'s cost.
    """
    value = int.from_bytes(os.urandom(16))
    # The variant (RFC 4122) and version (4) bits, set as uuid.UUID(version=4) sets them.
    value = value & ~(0xC000 << 48) | 0x8000 << 48
    value = value & ~(0xF000 << 64) | 4 << 76
    digits = value.to_bytes(16).hex()
    return f"{digits[:8]}-{digits[8:12]}-{digits[12:16]}-{digits[16:20]}-{digits[20:]}"
