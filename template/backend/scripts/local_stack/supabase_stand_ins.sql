-- The parts of a Supabase database that the migrations rely on, for a plain PostgreSQL.
-- Only for the embedded local stack and the tests: a real Supabase project (hosted or
-- `supabase start`) already has all of this. Applied once, in one transaction.

create role anon nologin noinherit;
create role authenticated nologin noinherit;
create role service_role nologin noinherit bypassrls;
create role authenticator login noinherit;
grant anon, authenticated, service_role to authenticator;

create schema auth;
grant usage on schema auth to anon, authenticated, service_role;

-- As in Supabase: the claims of the request's JWT, which PostgREST sets per transaction.
create function auth.jwt() returns jsonb
language sql stable
as $$
    select coalesce(
        nullif(current_setting('request.jwt.claim', true), ''),
        nullif(current_setting('request.jwt.claims', true), '')
    )::jsonb
$$;

grant usage on schema public to anon, authenticated, service_role;
-- Supabase grants every new table, function and sequence in public to the API roles.
alter default privileges in schema public grant all on tables to anon, authenticated, service_role;
alter default privileges in schema public grant all on functions to anon, authenticated, service_role;
alter default privileges in schema public grant all on sequences to anon, authenticated, service_role;
