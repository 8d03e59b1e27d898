"""Runs inside a rendered service's environment: start its local stack and keep it up.

Prints one JSON line (PostgREST's URL, its and PostgreSQL's process ids, the public key PEM,
session tokens of a reader with `ROWS` entities and of a writer with none, the reader's entity
ids) and stops the servers when standard input closes.
"""

import json
import sys

import psycopg
from app.core.config import LOCAL_SUPABASE_ANON_KEY
from app.core.local_auth import LocalKeyPair
from scripts.local_stack.postgres import throwaway_cluster
from scripts.local_stack.stack import running_stack

ROWS = 200
# The origin the token is issued for, as a browser app on the local frontend's port would be.
APP_ORIGIN = "http://localhost:5173"


def token(keys: LocalKeyPair, user_id: str) -> str:
    return keys.session_token(user_id, authorized_party=APP_ORIGIN, lifetime_seconds=3600)


def main() -> None:
    keys = LocalKeyPair.generate(key_id="bench")
    with (
        throwaway_cluster() as database,
        running_stack(
            database, trusted_keys=[keys.public_jwk()], apikey=LOCAL_SUPABASE_ANON_KEY
        ) as stack,
    ):
        with psycopg.connect(database.dsn(), autocommit=True) as connection:
            ids = connection.execute(
                "insert into public.entities (title, owner_id) "
                f"select 'Entity ' || n, 'user_bench' from generate_series(1, {ROWS}) n "
                "returning id"
            ).fetchall()
        assert stack.postgrest.process is not None and database.process is not None
        print(
            json.dumps(
                {
                    "postgrest": stack.postgrest.url,
                    "postgrest_pid": stack.postgrest.process.pid,
                    "postgres_pid": database.process.pid,
                    "public_pem": keys.public_pem(),
                    "token": token(keys, "user_bench"),
                    # Creates go to an owner of their own, so the reader's pages never grow.
                    "writer_token": token(keys, "user_bench_writer"),
                    "ids": [str(id_) for (id_,) in ids],
                    "authorized_party": APP_ORIGIN,
                    "anon_key": LOCAL_SUPABASE_ANON_KEY,
                }
            ),
            flush=True,
        )
        sys.stdin.read()


if __name__ == "__main__":
    main()
