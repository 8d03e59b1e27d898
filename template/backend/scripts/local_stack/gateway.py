"""What Supabase's gateway does for the API, in front of PostgREST: /rest/v1 and the apikey."""

import socket
import threading
import time
from collections import deque
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field

import anyio
import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp

# On every response of the embedded stack's gateway: the project whose make dev serves it.
SERVED_FOR_HEADER = "X-Local-Stack-Project"


@dataclass(frozen=True)
class GatewayRequest:
    method: str
    path: str
    headers: dict[str, str]


@dataclass
class SupabaseGateway:
    """Routes /rest/v1 to PostgREST and requires the apikey header, as Supabase's gateway does.

    It keeps the last requests, so tests can assert exactly what the service sent.
    """

    upstream: str
    apikey: str
    port: int = 0
    served_for: str | None = None
    requests: deque[GatewayRequest] = field(default_factory=lambda: deque(maxlen=1000))
    # Seconds to wait before forwarding: plays a slow database.
    delay_seconds: float = 0.0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def _forward(self, request: Request) -> Response:
        path = "/" + request.path_params["path"]
        self.requests.append(GatewayRequest(request.method, path, dict(request.headers)))
        if request.headers.get("apikey") != self.apikey:
            return self._response(JSONResponse({"message": "Invalid API key"}, status_code=401))
        await anyio.sleep(self.delay_seconds)
        headers = {
            key: value
            for key, value in request.headers.items()
            if key not in {"host", "content-length", "apikey"}
        }
        client: httpx.AsyncClient = request.app.state.client
        try:
            upstream = await client.request(
                request.method,
                path,
                params=str(request.query_params),
                headers=headers,
                content=await request.body(),
            )
        except httpx.TransportError:
            return self._response(
                JSONResponse({"message": "An invalid response was received"}, 502)
            )
        passed = {
            key: value
            for key, value in upstream.headers.items()
            if key not in {"content-length", "content-encoding", "transfer-encoding", "connection"}
        }
        return self._response(
            Response(upstream.content, status_code=upstream.status_code, headers=passed)
        )

    def _response(self, response: Response) -> Response:
        if self.served_for is not None:
            response.headers[SERVED_FOR_HEADER] = self.served_for
        return response

    @asynccontextmanager
    async def _lifespan(self, app: Starlette) -> AsyncIterator[None]:
        # One pooled client for every forwarded request, as a real gateway keeps connections.
        async with httpx.AsyncClient(base_url=self.upstream) as client:
            app.state.client = client
            yield

    @contextmanager
    def serving(self) -> Iterator["SupabaseGateway"]:
        methods = ["GET", "POST", "PATCH", "PUT", "DELETE", "HEAD", "OPTIONS"]
        app = Starlette(
            routes=[Route("/rest/v1/{path:path}", self._forward, methods=methods)],
            lifespan=self._lifespan,
        )
        with serve_asgi(app, port=self.port, lifespan=True) as port:
            self.port = port
            yield self


@contextmanager
def serve_asgi(app: ASGIApp, *, port: int = 0, lifespan: bool = False) -> Iterator[int]:
    """Serve an ASGI app with uvicorn on 127.0.0.1 (a free port by default), in a thread."""
    sock = socket.socket()
    # As uvicorn binds: connections of a server stopped a moment ago do not hold the port.
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", port))
    config = uvicorn.Config(
        app, log_config=None, lifespan="on" if lifespan else "off", access_log=False
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 5
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("the server did not start within 5 s")
        time.sleep(0.01)
    try:
        yield sock.getsockname()[1]
    finally:
        server.should_exit = True
        thread.join(timeout=5)
        sock.close()
