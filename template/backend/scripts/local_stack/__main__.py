"""make dev, make psql and make db-reset (see docs/local-development.md).

python -m scripts.local_stack dev --port 8000    # the API, on the stack that SUPABASE_URL names
python -m scripts.local_stack psql [--command SQL]
python -m scripts.local_stack reset [--yes]
"""

import argparse
import logging
import os
import shutil
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import jwt
import pydantic
import uvicorn

from app.core.config import Settings
from scripts.local_stack.gateway import SERVED_FOR_HEADER
from scripts.local_stack.migrations import Migration, MigrationError
from scripts.local_stack.postgres import PostgresCluster, PostgresError, port_is_free
from scripts.local_stack.stack import (
    DATABASE_PORT,
    MIGRATIONS,
    STACK_FOLDER,
    AlreadyRunningError,
    LocalStack,
    is_on_this_machine,
    only_instance,
    port_of,
    prepare_database,
    public_jwk,
    running_stack,
    what_answers,
)
from scripts.local_stack.tools import PROJECT_ROOT, MissingToolError, find_postgres_bin

# The Supabase CLI's database password; the embedded stack accepts any from this machine.
DATABASE_PASSWORD = "postgres"  # noqa: S105 - a public, local-only value


@dataclass(frozen=True)
class StackPlace:
    """Where the embedded stack keeps its data, and its database's port."""

    folder: Path = STACK_FOLDER
    database_port: int = DATABASE_PORT
    migrations: Path = MIGRATIONS
    project: Path = PROJECT_ROOT

    def cluster(self) -> PostgresCluster:
        return PostgresCluster(self.folder, self.database_port)


def say(message: str) -> None:
    print(f"make dev: {message}", file=sys.stderr, flush=True)


def serve_api(port: int) -> None:
    """The API with auto-reload; it returns once Ctrl-C has stopped it."""
    uvicorn.run("app.main:create_app", factory=True, reload=True, host="127.0.0.1", port=port)


def dev(
    settings: Settings,
    port: int,
    place: StackPlace = StackPlace(),
    serve: Callable[[int], None] = serve_api,
) -> None:
    with only_instance(place.folder):
        if not port_is_free(port):
            raise RuntimeError(f"Port {port} is in use; choose another: make dev PORT=8001")
        url = settings.supabase_url
        if not is_on_this_machine(url):
            say(f"using the Supabase project at {url} (SUPABASE_URL in .env)")
            serve(port)
            return
        answer = what_answers(url, settings.supabase_anon_key)
        if answer is not None:
            other = answer.headers.get(SERVED_FOR_HEADER)
            if other is not None:
                raise RuntimeError(
                    f"{url} is the embedded stack of make dev in {other}; stop it there, or "
                    "give this project another SUPABASE_URL port in .env."
                )
            say(f"using the Supabase stack that answers at {url} (supabase start)")
            serve(port)
            return
        if settings.clerk_jwt_key is None:
            raise RuntimeError(
                "CLERK_JWT_KEY is not set, and the embedded stack trusts the key the service "
                "trusts: run make local-auth, or set your Clerk instance's PEM public key."
            )
        try:
            trusted_key = public_jwk(settings.clerk_jwt_key.get_secret_value())
        except (ValueError, jwt.InvalidKeyError) as error:
            raise RuntimeError(f"CLERK_JWT_KEY is not an RSA public key in PEM: {error}") from None
        say(f"no Supabase stack answers at {url}: starting the embedded stack")
        with running_stack(
            place.cluster(),
            trusted_keys=[trusted_key],
            apikey=settings.supabase_anon_key,
            gateway_port=port_of(url),
            migrations=place.migrations,
            served_for=str(place.project),
        ) as stack:
            report(stack, place)
            serve(port)
            # Ctrl-C stopped the API; the gateway's uvicorn need not tell its own stop.
            logging.getLogger("uvicorn.error").setLevel(logging.WARNING)
        say(f"stopped the embedded stack; its data stays in {place.folder}")


def report(stack: LocalStack, place: StackPlace) -> None:
    database = stack.database
    say(f"  PostgreSQL on 127.0.0.1:{database.port}, data in {database.data}")
    say(f"  {describe(stack.migrations_applied)}")
    say(f"  Supabase API at {stack.gateway.url}/rest/v1 (PostgREST), trusting CLERK_JWT_KEY")
    say(f"  logs in {place.folder}; make psql for SQL, make db-reset to start again empty")
    say("  no Supabase Auth, Storage or Realtime here: see docs/local-development.md")


def describe(migrations: list[Migration]) -> str:
    if not migrations:
        return "migrations: all applied already"
    return "migrations applied now: " + ", ".join(m.path.name for m in migrations)


def psql_command(
    settings: Settings, sql: str | None, place: StackPlace = StackPlace()
) -> list[str]:
    if not is_on_this_machine(settings.supabase_url):
        raise RuntimeError(
            "SUPABASE_URL is a hosted project: copy its connection string from the Supabase "
            "dashboard (Connect) and run psql with it."
        )
    if port_is_free(place.database_port):
        raise RuntimeError(
            f"No database answers on 127.0.0.1:{place.database_port}: start make dev "
            "(or supabase start) first."
        )
    url = f"postgresql://postgres:{DATABASE_PASSWORD}@127.0.0.1:{place.database_port}/postgres"
    return [find_postgres_bin("psql"), url, *(["--command", sql] if sql else [])]


def reset(confirmed: bool, place: StackPlace = StackPlace()) -> list[Migration]:
    """Delete the embedded stack's database and make it again with the migrations."""
    with only_instance(place.folder):
        cluster = place.cluster()
        if not confirmed:
            question = (
                f"Delete every row of the embedded stack's database ({cluster.data}) and "
                "apply the migrations again? (supabase start has supabase db reset.) "
            )
            if not sys.stdin.isatty():
                raise RuntimeError(question + "Confirm with make db-reset CONFIRM=yes.")
            if input(question + "Type yes: ").strip() != "yes":
                raise RuntimeError("Nothing was deleted.")
        shutil.rmtree(cluster.data, ignore_errors=True)
        cluster.start()
        try:
            return prepare_database(cluster, place.migrations)
        finally:
            cluster.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="make dev, make psql and make db-reset")
    commands = parser.add_subparsers(dest="action", required=True)
    dev_parser = commands.add_parser("dev", help="run the API on the local stack")
    dev_parser.add_argument("--port", type=int, default=8000)
    psql_parser = commands.add_parser("psql", help="a SQL shell on the local database")
    psql_parser.add_argument("--command", dest="sql", help="run this SQL and exit")
    reset_parser = commands.add_parser("reset", help="start the embedded database again empty")
    reset_parser.add_argument("--yes", action="store_true", help="do not ask")
    arguments = parser.parse_args(argv)
    name = {"dev": "dev", "psql": "psql", "reset": "db-reset"}[arguments.action]
    try:
        if arguments.action == "reset":
            applied = reset(arguments.yes)
            print(f"make db-reset: a new database; {describe(applied)}")
            return 0
        settings = Settings()
        if arguments.action == "dev":
            dev(settings, arguments.port)
            return 0
        command = psql_command(settings, arguments.sql)
    except pydantic.ValidationError as error:
        print(f"make {name}: a setting in .env is not valid:\n{error}", file=sys.stderr)
        return 2
    except AlreadyRunningError as error:
        print(error, file=sys.stderr)
        return 1
    except (
        MigrationError,
        MissingToolError,
        PostgresError,
        RuntimeError,
    ) as error:
        print(f"make {name}: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    os.execv(command[0], command)  # noqa: S606 - psql takes over this terminal
    return 0  # not reached: psql has replaced this process


if __name__ == "__main__":
    sys.exit(main())
