"""Session-wide real servers: PostgreSQL with the project's migrations, PostgREST, a gateway."""

import json
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
from tests.conftest import SettingsFactory
from tests.integration.servers import (
    MIGRATIONS,
    STAND_INS,
    MissingServerError,
    PostgresCluster,
    PostgREST,
    SupabaseGateway,
)

APP_ORIGIN = "http://localhost:5173"


@dataclass
class SupabaseStack:
    database: PostgresCluster
    postgrest: PostgREST
    gateway: SupabaseGateway
    keys: LocalKeyPair

    def connect(self) -> psycopg.Connection[tuple[object, ...]]:
        """A superuser connection, for setting up and inspecting data."""
        return psycopg.connect(self.database.dsn(), autocommit=True)


def apply_sql(database: PostgresCluster, *files: Path) -> None:
    with psycopg.connect(database.dsn(), autocommit=True) as connection:
        for sql_file in files:
            connection.execute(sql_file.read_text().encode())


@contextmanager
def running_supabase_stack(keys: LocalKeyPair) -> Iterator[SupabaseStack]:
    """PostgreSQL with the migrations, PostgREST trusting `keys`, and the gateway in front."""
    database = PostgresCluster()
    database.start()
    try:
        apply_sql(database, STAND_INS, *sorted(MIGRATIONS.glob("*.sql")))
        postgrest = PostgREST(
            db_uri=database.dsn("authenticator"), jwks=json.dumps({"keys": [keys.public_jwk()]})
        )
        postgrest.start()
        try:
            gateway = SupabaseGateway(upstream=postgrest.url, apikey=LOCAL_SUPABASE_ANON_KEY)
            with gateway.serving():
                yield SupabaseStack(database, postgrest, gateway, keys)
        finally:
            postgrest.stop()
    finally:
        database.stop()


@pytest.fixture(scope="session")
def supabase_stack() -> Iterator[SupabaseStack]:
    try:
        with running_supabase_stack(LocalKeyPair.generate(key_id="ins_integration")) as stack:
            yield stack
    except MissingServerError as error:
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
