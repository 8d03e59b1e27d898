"""The entity API end to end: FastAPI -> supabase-py -> gateway -> PostgREST -> PostgreSQL."""

import uuid
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.core.config import LOCAL_SUPABASE_ANON_KEY
from app.main import create_app
from scripts.local_stack.postgres import free_port
from tests.conftest import SettingsFactory
from tests.integration.conftest import APP_ORIGIN, SupabaseStack, Users

ENTITIES = "/api/v1/entities"


def create(api: TestClient, users: Users, user: str, title: str, **fields: Any) -> dict[str, Any]:
    response = api.post(ENTITIES, json={"title": title, **fields}, headers=users.headers(user))
    assert response.status_code == 201, response.text
    entity: dict[str, Any] = response.json()
    return entity


def test_the_full_lifecycle_of_an_entity(api: TestClient, users: Users) -> None:
    created = create(api, users, "user_a", "First", description="Hello")
    assert created["owner_id"] == "user_a"
    assert created["description"] == "Hello"
    entity_url = f"{ENTITIES}/{created['id']}"

    fetched = api.get(entity_url, headers=users.headers("user_a"))
    assert fetched.json() == created

    renamed = api.patch(entity_url, json={"title": "Renamed"}, headers=users.headers("user_a"))
    assert renamed.status_code == 200
    assert renamed.json()["title"] == "Renamed"
    assert renamed.json()["description"] == "Hello"
    assert renamed.json()["updated_at"] > created["updated_at"]

    cleared = api.patch(entity_url, json={"description": None}, headers=users.headers("user_a"))
    assert cleared.json()["description"] is None

    unchanged = api.patch(entity_url, json={}, headers=users.headers("user_a"))
    assert unchanged.status_code == 200
    assert unchanged.json() == cleared.json()

    deleted = api.delete(entity_url, headers=users.headers("user_a"))
    assert deleted.status_code == 204
    assert deleted.content == b""
    gone = api.get(entity_url, headers=users.headers("user_a"))
    assert gone.status_code == 404
    assert gone.json()["code"] == "ENTITY_NOT_FOUND"


def test_another_user_cannot_read_change_or_delete_it(api: TestClient, users: Users) -> None:
    entity_url = f"{ENTITIES}/{create(api, users, 'user_a', 'Private')['id']}"
    intruder = users.headers("user_b")

    responses = [
        api.get(entity_url, headers=intruder),
        api.patch(entity_url, json={"title": "Mine"}, headers=intruder),
        api.patch(entity_url, json={}, headers=intruder),
        api.delete(entity_url, headers=intruder),
    ]

    assert [(r.status_code, r.json()["code"]) for r in responses] == [(404, "ENTITY_NOT_FOUND")] * 4
    assert api.get(ENTITIES, headers=intruder).json() == {"data": [], "count": 0}
    still_there = api.get(entity_url, headers=users.headers("user_a")).json()
    assert still_there["title"] == "Private"


def test_lists_are_paged_newest_first_with_a_total(api: TestClient, users: Users) -> None:
    titles = [f"Entity {number}" for number in range(5)]
    for title in titles:
        create(api, users, "user_a", title)
    create(api, users, "user_b", "Someone else's")

    pages = [
        api.get(ENTITIES, params={"offset": offset, "limit": 2}, headers=users.headers("user_a"))
        for offset in (0, 2, 4, 6)
    ]

    assert [page.json()["count"] for page in pages] == [5, 5, 5, 5]
    listed = [entity["title"] for page in pages for entity in page.json()["data"]]
    assert listed == list(reversed(titles))
    assert pages[3].json()["data"] == []


def test_entities_created_in_the_same_instant_keep_a_stable_order(
    api: TestClient, users: Users, stack: SupabaseStack
) -> None:
    with stack.connect() as connection:
        connection.execute(
            "insert into public.entities (title, owner_id, created_at) "
            "select 'Same ' || n, 'user_a', '2026-01-01T00:00:00Z' from generate_series(1, 6) n"
        )

    first = [
        entity["id"]
        for offset in (0, 3)
        for entity in api.get(
            ENTITIES, params={"offset": offset, "limit": 3}, headers=users.headers("user_a")
        ).json()["data"]
    ]

    assert len(set(first)) == 6
    assert first == sorted(first)


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"limit": 0}, "query.limit"),
        ({"limit": 101}, "query.limit"),
        ({"offset": -1}, "query.offset"),
        ({"offset": 10**30}, "query.offset"),
        ({"limit": "ten"}, "query.limit"),
    ],
)
def test_paging_limits_are_validated(
    api: TestClient, users: Users, params: dict[str, str | int], field: str
) -> None:
    response = api.get(ENTITIES, params=params, headers=users.headers("user_a"))

    assert response.status_code == 422
    assert response.json()["code"] == "VALIDATION_ERROR"
    assert [detail["field"] for detail in response.json()["details"]] == [field]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"title": ""}, "body.title"),
        ({"title": "   "}, "body.title"),
        ({"title": "x" * 256}, "body.title"),
        ({"title": "ok", "description": "x" * 1001}, "body.description"),
        ({"title": "ok", "owner_id": "user_b"}, "body.owner_id"),
        ({}, "body.title"),
    ],
    ids=["empty", "blank", "too-long", "long-description", "owner-chosen", "missing"],
)
def test_invalid_entities_are_refused_in_the_unified_shape(
    api: TestClient, users: Users, body: dict[str, object], field: str
) -> None:
    response = api.post(ENTITIES, json=body, headers=users.headers("user_a"))

    assert response.status_code == 422
    assert [detail["field"] for detail in response.json()["details"]] == [field]
    assert response.json()["request_id"] == response.headers["X-Request-ID"]


def test_a_title_cannot_be_cleared(api: TestClient, users: Users) -> None:
    entity_url = f"{ENTITIES}/{create(api, users, 'user_a', 'Keep me')['id']}"

    response = api.patch(entity_url, json={"title": None}, headers=users.headers("user_a"))

    assert response.status_code == 422
    assert response.json()["details"][0]["field"] == "body.title"


def test_a_malformed_id_is_a_validation_error(api: TestClient, users: Users) -> None:
    response = api.get(f"{ENTITIES}/not-a-uuid", headers=users.headers("user_a"))

    assert response.status_code == 422
    assert response.json()["details"][0]["field"] == "path.entity_id"


def test_an_unknown_id_is_not_found(api: TestClient, users: Users) -> None:
    response = api.get(f"{ENTITIES}/{uuid.uuid4()}", headers=users.headers("user_a"))

    assert response.status_code == 404
    assert response.json()["code"] == "ENTITY_NOT_FOUND"


def test_requests_need_a_token(api: TestClient) -> None:
    response = api.get(ENTITIES)

    assert response.status_code == 401
    assert response.json()["code"] == "AUTH_MISSING_TOKEN"


def test_the_callers_token_and_the_anon_key_reach_supabase(
    api: TestClient, users: Users, stack: SupabaseStack
) -> None:
    token = users.token("user_a")

    api.get(ENTITIES, headers={"Authorization": f"Bearer {token}"})

    (sent,) = [request for request in stack.gateway.requests if request.path == "/entities"]
    assert sent.method == "GET"
    assert sent.headers["authorization"] == f"Bearer {token}"
    assert sent.headers["apikey"] == LOCAL_SUPABASE_ANON_KEY


def test_a_database_outage_is_a_503_without_internals(
    api: TestClient, users: Users, stack: SupabaseStack
) -> None:
    stack.postgrest.stop()
    try:
        response = api.get(ENTITIES, headers=users.headers("user_a"))
    finally:
        stack.postgrest.start()

    assert response.status_code == 503
    assert response.json()["code"] == "DATABASE_UNAVAILABLE"
    assert "postgrest" not in response.text.lower()
    # One attempt only: postgrest-py's own retries (1 + 2 + 4 s of waiting) are off.
    assert [request.path for request in stack.gateway.requests] == ["/entities"]


def test_an_unreachable_gateway_changed_nothing_so_even_a_create_is_unavailable(
    stack: SupabaseStack, users: Users, make_settings: SettingsFactory
) -> None:
    """No connection could be opened, so nothing was sent: a create can simply be sent again."""
    settings = make_settings(
        supabase_url=f"http://127.0.0.1:{free_port()}",
        clerk_jwt_key=stack.keys.public_pem(),
        clerk_authorized_parties=APP_ORIGIN,
    )
    with TestClient(create_app(settings)) as unreachable_api:
        listed = unreachable_api.get(ENTITIES, headers=users.headers("user_a"))
        created = unreachable_api.post(
            ENTITIES, json={"title": "x"}, headers=users.headers("user_a")
        )

    assert (listed.status_code, listed.json()["code"]) == (503, "DATABASE_UNAVAILABLE")
    assert (created.status_code, created.json()["code"]) == (503, "DATABASE_UNAVAILABLE")


def test_a_slow_database_is_a_503_bounded_by_the_read_timeout(
    stack: SupabaseStack, users: Users, make_settings: SettingsFactory
) -> None:
    settings = make_settings(
        supabase_url=stack.gateway.url,
        clerk_jwt_key=stack.keys.public_pem(),
        clerk_authorized_parties=APP_ORIGIN,
        http_read_timeout_seconds=0.2,
    )
    stack.gateway.delay_seconds = 2.0
    with TestClient(create_app(settings)) as slow_api:
        response = slow_api.get(ENTITIES, headers=users.headers("user_a"))

    assert response.status_code == 503
    assert response.json()["code"] == "DATABASE_UNAVAILABLE"
    assert [request.path for request in stack.gateway.requests] == ["/entities"]
