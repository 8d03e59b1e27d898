"""Runs inside a rendered service's environment: the hand-made speed-ups against the standard.

The request id (`str(uuid.uuid4())` against a UUID4 written from the random bits) and the JSON
log renderer (structlog's `JSONRenderer` against a renderer with an encoder built once), each
per call and inside a logged GET /healthz served in process (the ASGI app called directly, no
server), in alternating rounds. Prints the table.
"""

import asyncio
import io
import json
import os
import sys
import time
import timeit
import uuid
from collections.abc import Callable
from typing import Any

import structlog
from app.core import logging as service_logging
from app.core import middleware
from app.core.config import Settings
from app.main import create_app

ROUNDS = 9
CALLS = 100_000
REQUESTS = 2_000


def standard_request_id() -> str:
    return str(uuid.uuid4())


def hand_made_request_id() -> str:
    """A UUID4 written from 16 random bytes, without building a `uuid.UUID`."""
    value = int.from_bytes(os.urandom(16))
    # The variant (RFC 4122) and version (4) bits, set as uuid.UUID(version=4) sets them.
    value = value & ~(0xC000 << 48) | 0x8000 << 48
    value = value & ~(0xF000 << 64) | 4 << 76
    digits = value.to_bytes(16).hex()
    return f"{digits[:8]}-{digits[8:12]}-{digits[12:16]}-{digits[16:20]}-{digits[20:]}"


# Both write a value JSON cannot hold as the service does: its repr, scrubbed.
standard_renderer = structlog.processors.JSONRenderer(default=service_logging._scrubbed_repr)
_encode = json.JSONEncoder(default=service_logging._scrubbed_repr).encode


def hand_made_renderer(_: Any, __: str, event_dict: dict[str, Any]) -> str:
    """json.dumps with a `default` builds an encoder per line: this one is built once."""
    return _encode(event_dict)


# A request line as the middleware writes it, after the shared processors.
REQUEST_LINE = {
    "method": "GET",
    "path": "/api/v1/entities",
    "status": 200,
    "duration_ms": 1.234,
    "user_id": "user_2abcdefghijklmnop",
    "event": "request",
    "request_id": standard_request_id(),
    "correlation_id": standard_request_id(),
    "level": "info",
    "timestamp": "2026-01-02T03:04:05.678901Z",
    "service": "my-service",
    "version": "0.1.0",
    "environment": "local",
}


def per_call_us(function: Callable[[], object]) -> float:
    return min(timeit.repeat(function, number=CALLS, repeat=3)) / CALLS * 1e6


class Discard(io.TextIOBase):
    def write(self, text: str) -> int:
        return len(text)


SETTINGS = Settings(_env_file=None, log_level="DEBUG", log_format="json")
APP = create_app(SETTINGS)
SCOPE = {
    "type": "http",
    "asgi": {"version": "3.0"},
    "http_version": "1.1",
    "method": "GET",
    "scheme": "http",
    "path": "/healthz",
    "raw_path": b"/healthz",
    "root_path": "",
    "query_string": b"",
    "headers": [(b"host", b"localhost")],
    "client": ("127.0.0.1", 50000),
    "server": ("localhost", 8000),
}


async def receive() -> dict[str, Any]:
    return {"type": "http.request", "body": b"", "more_body": False}


async def send(_: dict[str, Any]) -> None:
    return None


def per_request_us(request_id: Callable[[], str], renderer: Any) -> float:
    """A logged GET /healthz, in process, with this request id and this renderer."""
    middleware.new_request_id = request_id  # type: ignore[assignment]
    service_logging.render_json = renderer
    service_logging.configure_logging(SETTINGS, stream=Discard())

    async def serve(requests: int) -> float:
        started = time.perf_counter()
        for _ in range(requests):
            await APP(dict(SCOPE), receive, send)
        return (time.perf_counter() - started) / requests * 1e6

    asyncio.run(serve(REQUESTS // 10))  # warm up
    return asyncio.run(serve(REQUESTS))


def compare(measure: Callable[[Any], float], standard: Any, hand_made: Any) -> tuple[float, float]:
    """The least disturbed of each: the machine is shared, and interference only adds time."""
    standard_times, hand_made_times = [], []
    for round_ in range(ROUNDS):
        # Which goes first swaps every round, so neither always runs on a warmer machine.
        pair = [(standard, standard_times), (hand_made, hand_made_times)]
        for candidate, times in pair if round_ % 2 == 0 else reversed(pair):
            times.append(measure(candidate))
    return min(standard_times), min(hand_made_times)


def main() -> None:
    assert standard_renderer(None, "", REQUEST_LINE) == hand_made_renderer(None, "", REQUEST_LINE)
    assert uuid.UUID(hand_made_request_id()).version == 4
    figures = {
        "request id, per call": compare(per_call_us, standard_request_id, hand_made_request_id),
        "JSON log line, per call": compare(
            lambda render: per_call_us(lambda: render(None, "info", REQUEST_LINE)),
            standard_renderer,
            hand_made_renderer,
        ),
        "logged GET /healthz in process, by request id": compare(
            lambda request_id: per_request_us(request_id, standard_renderer),
            standard_request_id,
            hand_made_request_id,
        ),
        "logged GET /healthz in process, by renderer": compare(
            lambda render: per_request_us(standard_request_id, render),
            standard_renderer,
            hand_made_renderer,
        ),
    }
    request = min(standard for name, (standard, _) in figures.items() if "healthz" in name)
    print("| Figure (µs) | standard | hand-made | hand-made saves (of a logged request) |")
    print("|---|---|---|---|")
    for name, (standard, hand_made) in figures.items():
        saved = standard - hand_made
        print(
            f"| {name} | {standard:.2f} | {hand_made:.2f} | {saved:.2f} ({saved / request:.1%}) |"
        )
    print(
        f"\n{ROUNDS} alternating rounds, the fastest of each; Python {sys.version.split()[0]}."
        " Under uvicorn a request also pays for the server's HTTP parsing: the shares of a"
        " request served there are smaller."
    )


if __name__ == "__main__":
    main()
