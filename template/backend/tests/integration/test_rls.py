"""Row-level security, proven in SQL as each Postgres role that PostgREST would use."""

from datetime import datetime

import psycopg
import pytest
from psycopg import errors

from tests.integration.conftest import SupabaseStack, acting_as


@pytest.fixture
def rows(stack: SupabaseStack) -> dict[str, str]:
    """One entity for user_a and one for user_b; returns their ids by owner."""
    with stack.connect() as connection:
        created = connection.execute(
            "insert into public.entities (title, owner_id) values ('A', 'user_a'), ('B', 'user_b') "
            "returning owner_id, id::text"
        ).fetchall()
    return {str(owner): str(entity_id) for owner, entity_id in created}


def visible_owners(connection: psycopg.Connection[tuple[object, ...]]) -> list[object]:
    return [row[0] for row in connection.execute("select owner_id from public.entities order by 1")]


def test_a_user_sees_only_their_own_rows(stack: SupabaseStack, rows: dict[str, str]) -> None:
    with acting_as(stack, "authenticated", {"sub": "user_a", "role": "authenticated"}) as db:
        assert visible_owners(db) == ["user_a"]


def test_a_user_cannot_change_or_delete_another_users_row(
    stack: SupabaseStack, rows: dict[str, str]
) -> None:
    with acting_as(stack, "authenticated", {"sub": "user_a"}) as db:
        updated = db.execute(
            "update public.entities set title = 'mine now' where id = %s", [rows["user_b"]]
        )
        deleted = db.execute("delete from public.entities where id = %s", [rows["user_b"]])
        assert (updated.rowcount, deleted.rowcount) == (0, 0)
    with stack.connect() as connection:
        title = connection.execute(
            "select title from public.entities where id = %s", [rows["user_b"]]
        ).fetchone()
    assert title == ("B",)


def test_a_user_cannot_create_a_row_for_someone_else(stack: SupabaseStack) -> None:
    # The owner is no column the API's role may write; row-level security would refuse it too.
    with (
        acting_as(stack, "authenticated", {"sub": "user_a"}) as db,
        pytest.raises(errors.InsufficientPrivilege, match="permission denied"),
    ):
        db.execute("insert into public.entities (title, owner_id) values ('x', 'user_b')")


def test_a_new_row_belongs_to_the_caller_by_default(stack: SupabaseStack) -> None:
    with acting_as(stack, "authenticated", {"sub": "user_a"}) as db:
        owner = db.execute(
            "insert into public.entities (title) values ('x') returning owner_id"
        ).fetchone()
        assert owner == ("user_a",)


def test_a_user_cannot_hand_their_row_to_someone_else(
    stack: SupabaseStack, rows: dict[str, str]
) -> None:
    with (
        acting_as(stack, "authenticated", {"sub": "user_a"}) as db,
        pytest.raises(errors.InsufficientPrivilege, match="permission denied"),
    ):
        db.execute("update public.entities set owner_id = 'user_b' where id = %s", [rows["user_a"]])


def test_without_claims_nothing_is_visible(stack: SupabaseStack, rows: dict[str, str]) -> None:
    with acting_as(stack, "authenticated") as db:
        assert visible_owners(db) == []


def test_anon_has_no_access_at_all(stack: SupabaseStack, rows: dict[str, str]) -> None:
    with (
        acting_as(stack, "anon", {"role": "anon"}) as db,
        pytest.raises(errors.InsufficientPrivilege, match="permission denied"),
    ):
        db.execute("select * from public.entities")


def test_the_service_role_bypasses_row_level_security(
    stack: SupabaseStack, rows: dict[str, str]
) -> None:
    with acting_as(stack, "service_role", {"role": "service_role"}) as db:
        assert visible_owners(db) == ["user_a", "user_b"]


def test_updated_at_moves_on_every_update(stack: SupabaseStack, rows: dict[str, str]) -> None:
    with stack.connect() as connection:
        before = connection.execute(
            "select updated_at from public.entities where id = %s", [rows["user_a"]]
        ).fetchone()
        after = connection.execute(
            "update public.entities set title = 'A2' where id = %s returning updated_at",
            [rows["user_a"]],
        ).fetchone()
    assert before is not None
    assert after is not None
    assert isinstance(after[0], datetime)
    assert isinstance(before[0], datetime)
    assert after[0] > before[0]
