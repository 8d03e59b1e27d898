"""Session-wide real servers: PostgreSQL with the project's migrations, PostgREST, a gateway."""

import json
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.core.config import LOCAL_SUPABASE_ANON_KEY
from app.core.local_auth import LocalKeyPair
from app.main import create_app
from scripts.local_stack.gateway import SupabaseGateway
from scripts.local_stack.postgres import PostgresCluster, throwaway_cluster
from scripts.local_stack.postgrest import PostgREST
from scripts.local_stack.stack import LocalStack, public_jwk, running_stack
from scripts.local_stack.tools import MissingToolError
from tests.conftest import SettingsFactory

APP_ORIGIN = "http://localhost:5173"
# Each throwaway cluster writes some 40 MB: in memory, where Linux has room for them, initdb and
# copies of a cluster take a fraction of the time they take on a busy disk.
MEMORY = Path("/dev/shm")  # noqa: S108 - mkdtemp makes a private folder in it
ROOM_IN_MEMORY = 1 << 30


@dataclass
class SupabaseStack:
    """The embedded stack on throwaway servers, and the keys whose tokens it trusts."""

    servers: LocalStack
    keys: LocalKeyPair

    @property
    def database(self) -> PostgresCluster:
        return self.servers.database

    @property
    def postgrest(self) -> PostgREST:
        return self.servers.postgrest

    @property
    def gateway(self) -> SupabaseGateway:
        return self.servers.gateway

    def connect(self) -> psycopg.Connection[tuple[object, ...]]:
        """A superuser connection, for setting up and inspecting data."""
        return psycopg.connect(self.database.dsn(), autocommit=True)


def scratch() -> Path | None:
    """Where the tests' throwaway clusters go: memory if it has room, else the temporary folder."""
    try:
        if shutil.disk_usage(MEMORY).free >= ROOM_IN_MEMORY:
            return MEMORY
    except OSError:
        pass
    return None


def copy_cluster(files: Path, data: Path) -> None:
    """A new cluster made from the files of another that was never started."""
    # cp -a keeps the owner: as root, the files are the postgres user's.
    subprocess.run(["cp", "-a", str(files), str(data)], check=True)  # noqa: S603, S607


@contextmanager
def running_supabase_stack(
    keys: LocalKeyPair, cluster_files: Path | None = None
) -> Iterator[SupabaseStack]:
    """Throwaway PostgreSQL with the migrations, PostgREST and the gateway, trusting `keys`
    the way make dev trusts CLERK_JWT_KEY; its cluster a copy of `cluster_files` if given."""
    with throwaway_cluster(scratch()) as database:
        if cluster_files is not None:
            copy_cluster(cluster_files, database.data)
        with running_stack(
            database,
            trusted_keys=[public_jwk(keys.public_pem())],
            apikey=LOCAL_SUPABASE_ANON_KEY,
        ) as stack:
            yield SupabaseStack(stack, keys)


@pytest.fixture(scope="session")
def cluster_files() -> Iterator[Path]:
    """A new cluster's files, from one initdb per test run (per xdist worker): every cluster
    the tests start copies them, in a tenth of initdb's time."""
    try:
        with throwaway_cluster(scratch()) as cluster:
            cluster.create()
            yield cluster.data
    except MissingToolError as error:
        pytest.fail(str(error), pytrace=False)


@pytest.fixture(scope="session")
def supabase_stack(cluster_files: Path) -> Iterator[SupabaseStack]:
    """One stack per test run (per xdist worker): tests share it, emptied between them."""
    keys = LocalKeyPair.generate(key_id="ins_integration")
    try:
        with running_supabase_stack(keys, cluster_files) as stack:
            yield stack
    except MissingToolError as error:
        pytest.fail(str(error), pytrace=False)


@pytest.fixture
def stack(supabase_stack: SupabaseStack) -> SupabaseStack:
    """The shared stack, every table in `public` emptied before each test."""
    with supabase_stack.connect() as connection:
        tables = [
            f"public.{name}"
            for (name,) in connection.execute(
                "select tablename from pg_tables where schemaname = 'public'"
            )
        ]
        if tables:
            connection.execute(f"truncate {', '.join(tables)}".encode())
    supabase_stack.gateway.requests.clear()
    supabase_stack.gateway.delay_seconds = 0.0
    return supabase_stack


@contextmanager
def acting_as(
    stack: SupabaseStack, role: str, claims: dict[str, str] | None = None
) -> Iterator[psycopg.Connection[tuple[object, ...]]]:
    """A transaction as PostgREST runs one: `set local role` plus the token's claims."""
    with psycopg.connect(stack.database.dsn()) as connection:
        connection.execute(f"set local role {role}".encode())
        if claims is not None:
            connection.execute(
                "select set_config('request.jwt.claims', %s, true)", [json.dumps(claims)]
            )
        yield connection
        connection.rollback()


@pytest.fixture
def api_app(stack: SupabaseStack, make_settings: SettingsFactory) -> FastAPI:
    settings = make_settings(
        supabase_url=stack.gateway.url,
        clerk_jwt_key=stack.keys.public_pem(),
        clerk_authorized_parties=APP_ORIGIN,
    )
    return create_app(settings)


@pytest.fixture
def api(api_app: FastAPI) -> Iterator[TestClient]:
    with TestClient(api_app) as client:
        yield client


class Users:
    """Signed-in users: `users.headers("user_a")` gives their Authorization header."""

    def __init__(self, keys: LocalKeyPair) -> None:
        self.keys = keys

    def token(self, user_id: str) -> str:
        return self.keys.session_token(user_id, authorized_party=APP_ORIGIN)

    def headers(self, user_id: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(user_id)}"}


@pytest.fixture
def users(stack: SupabaseStack) -> Users:
    return Users(stack.keys)
