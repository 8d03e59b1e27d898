"""Runs inside a rendered service's environment: start its test stack and keep it up.

Prints one JSON line (gateway URL, PostgREST URL, public key PEM, a session token) and stops
the servers when standard input closes.
"""

import json
import sys

import psycopg
from app.core.config import LOCAL_SUPABASE_ANON_KEY
from app.core.local_auth import LocalKeyPair
from tests.integration.conftest import APP_ORIGIN, apply_sql
from tests.integration.servers import (
    MIGRATIONS,
    STAND_INS,
    PostgresCluster,
    PostgREST,
    SupabaseGateway,
)

ROWS = 200


def main() -> None:
    keys = LocalKeyPair.generate(key_id="bench")
    database = PostgresCluster()
    database.start()
    try:
        apply_sql(database, STAND_INS, *sorted(MIGRATIONS.glob("*.sql")))
        with psycopg.connect(database.dsn(), autocommit=True) as connection:
            connection.execute(
                "insert into public.entities (title, owner_id) "
                f"select 'Entity ' || n, 'user_bench' from generate_series(1, {ROWS}) n"
            )
        postgrest = PostgREST(
            db_uri=database.dsn("authenticator"), jwks=json.dumps({"keys": [keys.public_jwk()]})
        )
        postgrest.start()
        gateway = SupabaseGateway(upstream=postgrest.url, apikey=LOCAL_SUPABASE_ANON_KEY)
        with gateway.serving():
            token = keys.session_token(
                "user_bench", authorized_party=APP_ORIGIN, lifetime_seconds=3600
            )
            print(
                json.dumps(
                    {
                        "gateway": gateway.url,
                        "postgrest": postgrest.url,
                        "public_pem": keys.public_pem(),
                        "token": token,
                        "authorized_party": APP_ORIGIN,
                        "anon_key": LOCAL_SUPABASE_ANON_KEY,
                    }
                ),
                flush=True,
            )
            sys.stdin.read()
        postgrest.stop()
    finally:
        database.stop()


if __name__ == "__main__":
    main()
