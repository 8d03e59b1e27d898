-- Entities, least privilege: the API's role may do exactly what the API does, column by column,
-- and the table checks what the API checks. A user's own token and the public anon key reach
-- PostgREST directly too, so the database, not only this service, must hold the line.

-- Creates that may be retried: the client's Idempotency-Key, unique per owner, and a
-- fingerprint of the request, so that a repeat with another body is refused.
alter table public.entities
    add column idempotency_key text check (char_length(idempotency_key) between 1 and 255),
    add column request_fingerprint text;

create unique index entities_owner_idempotency_key_idx
    on public.entities (owner_id, idempotency_key)
    where idempotency_key is not null;

-- As the API: a title is never blank (only spaces), and the owner is never empty.
alter table public.entities
    add constraint entities_title_not_blank check (title ~ '[^[:space:]]'),
    add constraint entities_owner_id_not_blank check (owner_id <> '');

-- Supabase grants every privilege on a new table to the API roles. TRUNCATE ignores
-- row-level security (it would empty every owner's rows), and REFERENCES and TRIGGER serve no
-- caller: take all of them back, then grant only what the API uses. The id, the owner (the
-- token's `sub`, by default) and the timestamps are the database's to set, never a caller's.
revoke all on table public.entities from anon, authenticated;
grant select, delete on table public.entities to authenticated;
grant insert (title, description, idempotency_key, request_fingerprint)
    on table public.entities to authenticated;
grant update (title, description) on table public.entities to authenticated;
