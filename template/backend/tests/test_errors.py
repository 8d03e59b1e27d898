from http import HTTPStatus

from fastapi import FastAPI, HTTPException, Query
from fastapi.testclient import TestClient
from pydantic import BaseModel, Field

from app.core.errors import NotFoundError, ServiceError


def test_a_service_error_keeps_its_status_code_and_message(
    app: FastAPI, client: TestClient
) -> None:
    @app.get("/api/v1/things/{thing_id}")
    async def get_thing(thing_id: str) -> None:
        raise NotFoundError(f"Thing {thing_id} was not found.", code="THING_NOT_FOUND")

    response = client.get("/api/v1/things/42")

    assert response.status_code == 404
    assert response.json() == {
        "error": "Not Found",
        "message": "Thing 42 was not found.",
        "code": "THING_NOT_FOUND",
        "request_id": response.headers["X-Request-ID"],
    }


def test_a_custom_service_error_sets_status_and_headers(app: FastAPI, client: TestClient) -> None:
    @app.post("/api/v1/things")
    async def create_thing() -> None:
        raise ServiceError(
            "Slow down.", code="TOO_MANY_THINGS", status_code=429, headers={"Retry-After": "7"}
        )

    response = client.post("/api/v1/things")

    assert response.status_code == 429
    assert response.headers["Retry-After"] == "7"
    assert response.json()["error"] == "Too Many Requests"
    assert response.json()["code"] == "TOO_MANY_THINGS"


def test_an_unknown_route_is_a_404_in_the_unified_shape(client: TestClient) -> None:
    response = client.get("/api/v1/does-not-exist")

    assert response.status_code == 404
    assert response.json() == {
        "error": "Not Found",
        "message": "Not Found",
        "code": "NOT_FOUND",
        "request_id": response.headers["X-Request-ID"],
    }


def test_a_wrong_method_is_a_405_that_says_what_is_allowed(client: TestClient) -> None:
    response = client.delete("/healthz")

    assert response.status_code == 405
    assert response.headers["Allow"] == "GET"
    assert response.json()["code"] == "METHOD_NOT_ALLOWED"


class NewThing(BaseModel):
    title: str = Field(min_length=1, max_length=10)


def test_validation_errors_list_each_field(app: FastAPI, client: TestClient) -> None:
    @app.post("/api/v1/things")
    async def create_thing(thing: NewThing, limit: int = Query(default=10, le=100)) -> None:
        raise AssertionError("not reached: the request is invalid")

    response = client.post("/api/v1/things?limit=1000", json={"title": ""})

    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "VALIDATION_ERROR"
    assert body["error"] == HTTPStatus.UNPROCESSABLE_ENTITY.phrase
    assert body["request_id"] == response.headers["X-Request-ID"]
    assert {(detail["field"], detail["type"]) for detail in body["details"]} == {
        ("body.title", "string_too_short"),
        ("query.limit", "less_than_equal"),
    }
    assert all(detail["message"] for detail in body["details"])


def test_malformed_json_is_a_422_in_the_unified_shape(app: FastAPI, client: TestClient) -> None:
    @app.post("/api/v1/things")
    async def create_thing(thing: NewThing) -> None:
        raise AssertionError("not reached: the request is invalid")

    response = client.post(
        "/api/v1/things", content=b"{not json", headers={"Content-Type": "application/json"}
    )

    assert response.status_code == 422
    assert response.json()["details"][0]["type"] == "json_invalid"


def test_a_service_error_with_only_a_status_gets_the_matching_code(
    app: FastAPI, client: TestClient
) -> None:
    @app.get("/api/v1/locked")
    async def locked() -> None:
        raise ServiceError("Not for you.", status_code=403)

    @app.get("/api/v1/client-closed")
    async def client_closed() -> None:
        raise ServiceError("Gone.", status_code=499)

    forbidden = client.get("/api/v1/locked").json()
    unusual = client.get("/api/v1/client-closed")

    assert (forbidden["error"], forbidden["code"]) == ("Forbidden", "FORBIDDEN")
    assert unusual.status_code == 499
    assert (unusual.json()["error"], unusual.json()["code"]) == ("Error", "HTTP_ERROR")


def test_a_conflict_has_its_own_code(app: FastAPI, client: TestClient) -> None:
    @app.get("/api/v1/taken")
    async def taken() -> None:
        raise HTTPException(status_code=409, detail="That name is taken.")

    body = client.get("/api/v1/taken").json()

    assert (body["error"], body["code"], body["message"]) == (
        "Conflict",
        "CONFLICT",
        "That name is taken.",
    )
