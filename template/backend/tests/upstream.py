"""A real HTTP server on 127.0.0.1 that plays another service (or Sentry) in tests, and the two
ways the shared client sends to one."""

import gzip
import socket
import threading
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from scripts.local_stack.gateway import serve_asgi


async def send_by(
    way: str, client: httpx.AsyncClient, method: str, url: str, body: bytes | None = None
) -> httpx.Response:
    """Send the plain way (`request`), or httpx's own (`build_request`, then `send`): the two
    ways out of the shared client (app/core/aiohttp_transport.py)."""
    if way == "plain":
        return await client.request(method, url, content=body)
    return await client.send(client.build_request(method, url, content=body))


BOTH_WAYS = pytest.mark.parametrize("way", ["plain", "httpx"])


@dataclass(frozen=True)
class ReceivedRequest:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


class Upstream:
    """Answers every request with the next queued status (200 once the queue is empty)."""

    def __init__(self) -> None:
        self.statuses: deque[int] = deque()
        self.requests: list[ReceivedRequest] = []
        # Sent with every answer, e.g. {"Retry-After": "1"}.
        self.answer_headers: dict[str, str] = {}
        self.port = 0
        methods = ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
        routes = [Route("/{path:path}", self._answer, methods=methods)]
        self.asgi = Starlette(routes=routes)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def _answer(self, request: Request) -> JSONResponse:
        body = await request.body()
        if request.headers.get("content-encoding") == "gzip":
            body = gzip.decompress(body)
        self.requests.append(
            ReceivedRequest(request.method, request.url.path, dict(request.headers), body)
        )
        status = self.statuses.popleft() if self.statuses else 200
        return JSONResponse({"status": status}, status_code=status, headers=self.answer_headers)

    @classmethod
    @contextmanager
    def serve(cls) -> Iterator["Upstream"]:
        upstream = cls()
        with serve_asgi(upstream.asgi) as port:
            upstream.port = port
            yield upstream


def read_request(connection: socket.socket) -> bytes:
    """What a client sent up to the end of its headers (b"" if it closed first)."""
    received = b""
    while b"\r\n\r\n" not in received:
        chunk = connection.recv(65536)
        if not chunk:
            break
        received += chunk
    return received


@contextmanager
def raw_server(handle: Callable[[socket.socket], None]) -> Iterator[str]:
    """A TCP server on 127.0.0.1 that runs `handle` on each connection, in a thread of its own:
    for the answers no well-behaved HTTP server sends. Yields its URL."""
    listener = socket.create_server(("127.0.0.1", 0))

    def accept() -> None:
        while True:
            try:
                connection, _ = listener.accept()
            except OSError:  # the listener was closed: the test is over
                return
            threading.Thread(target=handle, args=(connection,), daemon=True).start()

    threading.Thread(target=accept, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        # Wakes the accept() blocked in the other thread; close() alone would not on Linux.
        listener.shutdown(socket.SHUT_RDWR)
        listener.close()


def server_closing_reused_connections() -> AbstractContextManager[str]:
    """A server that answers the first request on a connection and keeps the connection open,
    but closes it unanswered when a second request arrives on it: what a client meets when it
    reuses a connection at the moment the server's idle timeout drops it. Yields its URL.
    """

    def answer_once(connection: socket.socket) -> None:
        with connection:
            if read_request(connection):
                connection.sendall(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n")
                read_request(connection)

    return raw_server(answer_once)
