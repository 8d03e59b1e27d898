"""What the database refuses, and how it fails, in the unified shape: the caller's own mistake
is a 4xx, never a 500, and a 503 says whether anything was done. Against real PostgREST."""

import signal
import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any

import anyio
import pytest
from fastapi.testclient import TestClient
from postgrest import APIError, AsyncPostgrestClient

from app.core.config import LOCAL_SUPABASE_ANON_KEY
from app.core.errors import ServiceError
from app.core.supabase import database_errors, error_for
from app.main import create_app
from tests.conftest import SettingsFactory
from tests.integration.conftest import APP_ORIGIN, SupabaseStack, Users

ENTITIES = "/api/v1/entities"


def as_user(stack: SupabaseStack, users: Users, user: str) -> AsyncPostgrestClient:
    """PostgREST as anyone with the public anon key and their own token can reach it."""
    return AsyncPostgrestClient(
        f"{stack.gateway.url}/rest/v1",
        headers={"apikey": LOCAL_SUPABASE_ANON_KEY, **users.headers(user)},
    )


def refusal(stack: SupabaseStack, users: Users, query: Any) -> ServiceError:
    """The ServiceError that a query sent straight to PostgREST, as user_a, turns into."""

    async def send() -> ServiceError:
        async with as_user(stack, users, "user_a") as client:
            with pytest.raises(ServiceError) as raised, database_errors(writes=True):
                await query(client.from_("entities")).execute()
        return raised.value

    return anyio.run(send)


@pytest.mark.parametrize(
    ("query", "status", "code", "field", "sqlstate"),
    [
        pytest.param(
            lambda table: table.insert({"title": "   "}),
            422, "VALIDATION_ERROR", "body", "23514", id="blank-title-check",
        ),
        pytest.param(
            lambda table: table.insert({"description": "no title"}),
            422, "VALIDATION_ERROR", "body.title", "23502", id="missing-title-not-null",
        ),
        pytest.param(
            lambda table: table.select("id").eq("id", "not-a-uuid"),
            422, "VALIDATION_ERROR", "body", "22P02", id="text-that-is-no-uuid",
        ),
        pytest.param(
            lambda table: table.insert({"title": "x", "owner_id": "user_b"}),
            403, "FORBIDDEN", None, None, id="a-column-not-granted",
        ),
    ],
)  # fmt: skip
def test_what_the_database_refuses_is_a_4xx_with_details(
    stack: SupabaseStack,
    users: Users,
    query: Any,
    status: int,
    code: str,
    field: str | None,
    sqlstate: str | None,
) -> None:
    error = refusal(stack, users, query)

    assert (error.status_code, error.code) == (status, code)
    if field is not None:
        assert error.details is not None
        (detail,) = error.details
        assert (detail.field, detail.type) == (field, f"database.{sqlstate}")


def test_a_unique_violation_is_a_409(stack: SupabaseStack, users: Users) -> None:
    row = {"title": "once", "idempotency_key": "k-1"}

    async def create_once() -> None:
        async with as_user(stack, users, "user_a") as client:
            await client.from_("entities").insert(row).execute()

    anyio.run(create_once)

    error = refusal(stack, users, lambda table: table.insert(row))

    assert (error.status_code, error.code) == (409, "CONFLICT")


@pytest.mark.parametrize(
    ("sqlstate", "writes", "status", "code"),
    [
        ("23503", True, 409, "CONFLICT"),
        ("22001", True, 422, "VALIDATION_ERROR"),
        ("22P05", True, 422, "VALIDATION_ERROR"),
        ("PGRST000", True, 503, "DATABASE_UNAVAILABLE"),
        ("PGRST002", True, 503, "DATABASE_UNAVAILABLE"),
        ("PGRST001", True, 503, "DATABASE_OUTCOME_UNKNOWN"),
        ("57P03", True, 503, "DATABASE_UNAVAILABLE"),
        ("503", True, 503, "DATABASE_UNAVAILABLE"),
        ("57P01", True, 503, "DATABASE_OUTCOME_UNKNOWN"),
        ("57P02", True, 503, "DATABASE_OUTCOME_UNKNOWN"),
        ("08006", True, 503, "DATABASE_OUTCOME_UNKNOWN"),
        ("504", True, 503, "DATABASE_OUTCOME_UNKNOWN"),
        (None, True, 503, "DATABASE_OUTCOME_UNKNOWN"),
        ("57P01", False, 503, "DATABASE_UNAVAILABLE"),
        ("XX000", True, 500, "INTERNAL_ERROR"),
    ],
)
def test_every_database_error_has_its_answer(
    sqlstate: str | None, writes: bool, status: int, code: str
) -> None:
    """The codes no request of the example resource can cause, as PostgREST reports them."""
    error = error_for(APIError({"code": sqlstate, "message": "m"}), writes=writes)

    assert (error.status_code, error.code) == (status, code)


@pytest.mark.parametrize("field", ["title", "description"])
def test_a_nul_character_is_a_validation_error(api: TestClient, users: Users, field: str) -> None:
    body = {"title": "ok", field: "before\u0000after"}

    response = api.post(ENTITIES, json=body, headers=users.headers("user_a"))

    assert response.status_code == 422
    assert response.json()["details"][0]["field"] == f"body.{field}"


@pytest.mark.parametrize(
    "change",
    [
        {"id": str(uuid.uuid4())},
        {"owner_id": "user_b"},
        {"created_at": "2000-01-01T00:00:00Z"},
        {"updated_at": "2000-01-01T00:00:00Z"},
    ],
)
def test_a_user_cannot_rewrite_what_the_database_sets(
    stack: SupabaseStack, users: Users, api: TestClient, change: dict[str, str]
) -> None:
    created = api.post(ENTITIES, json={"title": "mine"}, headers=users.headers("user_a")).json()

    error = refusal(stack, users, lambda table: table.update(change).eq("id", created["id"]))
    after = api.get(f"{ENTITIES}/{created['id']}", headers=users.headers("user_a"))

    assert error.status_code == 403
    assert after.json() == created


PRIVILEGES = ["SELECT", "DELETE", "INSERT", "UPDATE", "TRUNCATE", "REFERENCES", "TRIGGER"]


def test_the_api_role_holds_only_the_privileges_the_api_uses(stack: SupabaseStack) -> None:
    with stack.connect() as connection:
        privileges = {
            privilege: connection.execute(
                "select has_table_privilege('authenticated', 'public.entities', %s)", [privilege]
            ).fetchone()
            for privilege in PRIVILEGES
        }
        anon = connection.execute(
            "select has_any_column_privilege('anon', 'public.entities', 'SELECT')"
        ).fetchone()

    # INSERT and UPDATE are column grants: no table-wide privilege.
    assert privileges == {
        "SELECT": (True,),
        "DELETE": (True,),
        "INSERT": (False,),
        "UPDATE": (False,),
        "TRUNCATE": (False,),
        "REFERENCES": (False,),
        "TRIGGER": (False,),
    }
    assert anon == (False,)


def test_a_database_stopped_under_a_request_is_a_503_that_says_so(
    api: TestClient, users: Users, stack: SupabaseStack
) -> None:
    """The connection to PostgreSQL cut while it runs a query (what a shutdown does): a 503,
    never a 500; a read changed nothing, a create may have been made."""
    with stack.connect() as locker:
        locker.execute("begin")
        locker.execute("lock table public.entities in access exclusive mode")
        answers: dict[str, Any] = {}

        headers = users.headers("user_a")

        def send(name: str, call: Any) -> None:
            answers[name] = call()

        requests = [
            threading.Thread(
                target=send, args=("list", lambda: api.get(ENTITIES, headers=headers))
            ),
            threading.Thread(
                target=send,
                args=("create", lambda: api.post(ENTITIES, json={"title": "x"}, headers=headers)),
            ),
        ]
        for request in requests:
            request.start()
        waiting = wait_for_locked_queries(stack, count=2)
        with stack.connect() as admin:
            for pid in waiting:
                admin.execute("select pg_terminate_backend(%s)", [pid])
        for request in requests:
            request.join(timeout=10)
        locker.execute("rollback")

    assert answers["list"].status_code == 503
    assert answers["list"].json()["code"] == "DATABASE_UNAVAILABLE"
    assert answers["create"].status_code == 503
    assert answers["create"].json()["code"] == "DATABASE_OUTCOME_UNKNOWN"


def wait_for_locked_queries(stack: SupabaseStack, count: int) -> list[int]:
    deadline = time.monotonic() + 10
    with stack.connect() as connection:
        while time.monotonic() < deadline:
            pids = [
                int(str(pid))
                for (pid,) in connection.execute(
                    "select pid from pg_stat_activity where wait_event_type = 'Lock'"
                    " and usename = 'authenticator'"
                )
            ]
            if len(pids) >= count:
                return pids
            time.sleep(0.05)
    raise AssertionError("the requests never reached the locked table")


def test_a_repeated_create_with_the_same_key_creates_one_entity(
    api: TestClient, users: Users, stack: SupabaseStack
) -> None:
    headers = {**users.headers("user_a"), "Idempotency-Key": "order-7"}

    first = api.post(ENTITIES, json={"title": "Order 7"}, headers=headers)
    again = api.post(ENTITIES, json={"title": "Order 7"}, headers=headers)
    other_body = api.post(ENTITIES, json={"title": "Order 8"}, headers=headers)
    other_user = api.post(
        ENTITIES,
        json={"title": "Order 7"},
        headers={**users.headers("user_b"), "Idempotency-Key": "order-7"},
    )

    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json()
    assert other_body.status_code == 409
    assert other_body.json()["code"] == "CONFLICT"
    assert other_user.status_code == 201
    assert other_user.json()["id"] != first.json()["id"]
    with stack.connect() as connection:
        rows = connection.execute("select owner_id from public.entities order by owner_id")
        assert rows.fetchall() == [("user_a",), ("user_b",)]


@pytest.fixture
def impatient_api(stack: SupabaseStack, make_settings: SettingsFactory) -> Iterator[TestClient]:
    settings = make_settings(
        supabase_url=stack.gateway.url,
        clerk_jwt_key=stack.keys.public_pem(),
        clerk_authorized_parties=APP_ORIGIN,
        http_read_timeout_seconds=0.3,
    )
    with TestClient(create_app(settings)) as client:
        yield client


def test_a_create_cut_off_by_a_timeout_is_retried_safely_with_its_key(
    impatient_api: TestClient, users: Users, stack: SupabaseStack
) -> None:
    """PostgREST frozen mid-create: the answer is "unknown", the create still happens once it
    thaws, and the retry with the same key returns that entity instead of a second one."""
    headers = {**users.headers("user_a"), "Idempotency-Key": "payment-42"}
    body = {"title": "Payment 42"}
    assert stack.postgrest.process is not None
    stack.postgrest.process.send_signal(signal.SIGSTOP)
    try:
        cut_off = impatient_api.post(ENTITIES, json=body, headers=headers)
    finally:
        stack.postgrest.process.send_signal(signal.SIGCONT)
    committed = wait_for_rows(stack, 1)
    retried = impatient_api.post(ENTITIES, json=body, headers=headers)

    assert cut_off.status_code == 503
    assert cut_off.json()["code"] == "DATABASE_OUTCOME_UNKNOWN"
    assert "Idempotency-Key" in cut_off.json()["message"]
    assert retried.status_code == 201
    assert retried.json()["id"] == committed
    assert wait_for_rows(stack, 1) == committed


def wait_for_rows(stack: SupabaseStack, count: int) -> str:
    deadline = time.monotonic() + 10
    with stack.connect() as connection:
        while time.monotonic() < deadline:
            ids = [str(row[0]) for row in connection.execute("select id from public.entities")]
            if len(ids) == count:
                return ids[0]
            time.sleep(0.05)
    raise AssertionError(f"expected {count} entities")


def test_a_long_list_is_counted_without_a_full_count(
    api: TestClient, users: Users, stack: SupabaseStack
) -> None:
    """Exact up to PostgREST's row limit (1000), the planner's estimate beyond."""
    with stack.connect() as connection:
        connection.execute(
            "insert into public.entities (title, owner_id)"
            " select 'Entity ' || n, 'user_a' from generate_series(1, 1500) n"
        )
        connection.execute("insert into public.entities (title, owner_id) values ('b', 'user_b')")
        connection.execute("analyze public.entities")

    long_list = api.get(ENTITIES, params={"limit": 5}, headers=users.headers("user_a")).json()
    short_list = api.get(ENTITIES, headers=users.headers("user_b")).json()

    assert len(long_list["data"]) == 5
    assert 1000 < long_list["count"] < 3000
    assert short_list["count"] == 1
