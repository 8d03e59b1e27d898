-- Entities: the example resource. Each row belongs to the Clerk user in owner_id, and
-- row-level security lets a signed-in user reach only their own rows.

create table public.entities (
    id uuid primary key default gen_random_uuid(),
    title text not null check (char_length(title) between 1 and 255),
    description text check (char_length(description) <= 1000),
    -- Clerk user ids ("user_2x...") are text, not uuid.
    owner_id text not null default (auth.jwt() ->> 'sub'),
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now()
);

comment on table public.entities is 'Example resource owned by a Clerk user.';

-- Serves the owner's list, newest first, with id as the tie-breaker for stable pages.
create index entities_owner_created_at_idx
    on public.entities (owner_id, created_at desc, id);

create function public.set_updated_at()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
    new.updated_at := now();
    return new;
end;
$$;

create trigger entities_set_updated_at
    before update on public.entities
    for each row execute function public.set_updated_at();

alter table public.entities enable row level security;

-- Clerk ids are not uuids, so policies compare the token's `sub` claim instead of calling
-- auth.uid(); `(select ...)` lets Postgres evaluate it once per statement, not per row.
create policy "Owners can read their entities"
    on public.entities for select to authenticated
    using ((select auth.jwt() ->> 'sub') = owner_id);

create policy "Owners can create their entities"
    on public.entities for insert to authenticated
    with check ((select auth.jwt() ->> 'sub') = owner_id);

create policy "Owners can update their entities"
    on public.entities for update to authenticated
    using ((select auth.jwt() ->> 'sub') = owner_id)
    with check ((select auth.jwt() ->> 'sub') = owner_id);

create policy "Owners can delete their entities"
    on public.entities for delete to authenticated
    using ((select auth.jwt() ->> 'sub') = owner_id);

-- Supabase grants new tables to every API role; anonymous callers get nothing here.
revoke all on table public.entities from anon;
grant select, insert, update, delete on table public.entities to authenticated;
