"""PostgreSQL with Supabase's stand-ins and the migrations, PostgREST and the gateway, together;
and what make dev, make psql and make db-reset share: the project's folder, one instance."""

import fcntl
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import jwt
import psycopg
from cryptography.hazmat.primitives import serialization

from scripts.local_stack.gateway import SupabaseGateway
from scripts.local_stack.migrations import Migration, apply_migrations
from scripts.local_stack.postgres import PostgresCluster
from scripts.local_stack.postgrest import PostgREST
from scripts.local_stack.tools import PROJECT_ROOT

MIGRATIONS = PROJECT_ROOT / "supabase" / "migrations"
STAND_INS = Path(__file__).with_name("supabase_stand_ins.sql")
# Git-ignored: the embedded stack's database, its logs, and make dev's lock.
STACK_FOLDER = PROJECT_ROOT / ".local-stack"
# The port of the Supabase CLI's database too (supabase/config.toml): make psql reaches either.
DATABASE_PORT = 54322


class AlreadyRunningError(RuntimeError):
    pass


@dataclass
class LocalStack:
    database: PostgresCluster
    postgrest: PostgREST
    gateway: SupabaseGateway
    migrations_applied: list[Migration]


def prepare_database(database: PostgresCluster, migrations: Path = MIGRATIONS) -> list[Migration]:
    """Supabase's roles and auth.jwt() once, then the migrations not applied yet."""
    with psycopg.connect(database.dsn(), autocommit=True) as connection:
        prepared = connection.execute("select 1 from pg_namespace where nspname = 'auth'")
        if prepared.fetchone() is None:
            with connection.transaction():
                connection.execute(STAND_INS.read_text().encode())
    return apply_migrations(database.dsn(), migrations)


@contextmanager
def running_stack(
    database: PostgresCluster,
    *,
    trusted_keys: list[dict[str, Any]],
    apikey: str,
    gateway_port: int = 0,
    migrations: Path = MIGRATIONS,
    served_for: str | None = None,
) -> Iterator[LocalStack]:
    """Start everything (the database first, with its migrations) and stop it all afterwards."""
    database.start()
    try:
        applied = prepare_database(database, migrations)
        postgrest = PostgREST(
            db_uri=database.dsn("authenticator"),
            trusted_keys=trusted_keys,
            log=database.root / "postgrest.log",
        )
        postgrest.start()
        try:
            gateway = SupabaseGateway(
                upstream=postgrest.url, apikey=apikey, port=gateway_port, served_for=served_for
            )
            with gateway.serving():
                yield LocalStack(database, postgrest, gateway, applied)
        finally:
            postgrest.stop()
    finally:
        database.stop()


def public_jwk(pem: str) -> dict[str, Any]:
    """The JWK of a PEM public key such as CLERK_JWT_KEY (text before the PEM is ignored)."""
    key = serialization.load_pem_public_key(pem[pem.find("-----BEGIN") :].encode())
    jwk: dict[str, Any] = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key))  # type: ignore[arg-type]
    return {**jwk, "alg": "RS256", "use": "sig"}


def is_on_this_machine(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme == "http" and parts.hostname in {"127.0.0.1", "localhost"}


def port_of(url: str) -> int:
    return urlsplit(url).port or 80


def what_answers(url: str, apikey: str) -> httpx.Response | None:
    """The answer of whatever serves the Supabase API at `url`; None when nothing listens."""
    try:
        return httpx.get(f"{url}/rest/v1/", headers={"apikey": apikey}, timeout=5)
    except httpx.ConnectError:
        return None
    except httpx.TransportError as error:
        raise RuntimeError(
            f"Something listens at {url} but does not answer as Supabase would ({error!r}); "
            "stop it, or point SUPABASE_URL elsewhere in .env."
        ) from error


@contextmanager
def only_instance(folder: Path = STACK_FOLDER) -> Iterator[None]:
    """Hold the project's lock; the system drops it when the holder ends, even by kill -9."""
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / "make-dev.lock").open("a+") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            lock.seek(0)
            raise AlreadyRunningError(
                f"make dev is already running in this project (process "
                f"{lock.read().strip()}); stop it first (Ctrl-C in its terminal)."
            ) from None
        lock.truncate(0)
        lock.write(str(os.getpid()))
        lock.flush()
        yield
