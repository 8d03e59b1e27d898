"""`/readyz` against the real Supabase stack: ready while PostgREST answers, 503 when it stops."""

from fastapi.testclient import TestClient

from tests.integration.conftest import SupabaseStack


def test_ready_when_postgrest_answers(api: TestClient) -> None:
    response = api.get("/readyz")

    assert response.status_code == 200
    assert response.json() == {"status": "ready", "checks": {"supabase": "ok"}}


def test_not_ready_when_postgrest_is_stopped(api: TestClient, stack: SupabaseStack) -> None:
    stack.postgrest.stop()
    try:
        response = api.get("/readyz")
    finally:
        stack.postgrest.start()

    assert response.status_code == 503
    assert response.json() == {"status": "not_ready", "checks": {"supabase": "failed"}}
