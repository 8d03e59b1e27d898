"""The embedded local stack: PostgreSQL, PostgREST and a Supabase-style gateway, no Docker.

`make dev` runs it when no Supabase stack answers at a local SUPABASE_URL (see
docs/local-development.md); the tests start throwaway copies of it.

    tools.py       finds the programs it runs; `make setup` installs those that are missing
    postgres.py    a PostgreSQL server in a folder of its own, persistent or throwaway
    postgrest.py   PostgREST, trusting the service's signing keys
    gateway.py     /rest/v1 routed to PostgREST with the apikey check, as Supabase's gateway does
    migrations.py  supabase/migrations/, applied and recorded as the Supabase CLI does
    stack.py       the three together, and what make dev, make psql and make db-reset share
    __main__.py    those three commands
"""
