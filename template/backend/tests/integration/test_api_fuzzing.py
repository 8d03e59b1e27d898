"""Property-based fuzzing of every operation in the service's own OpenAPI document.

Schemathesis generates valid and invalid requests from the schema and sends them, with a
valid token, to the service running on a real socket against real PostgREST and PostgreSQL.
No answer may be a 5xx, and every answer, errors included, must match the documented schema.
"""

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from schemathesis import APIOperation
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Ok
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from scripts.local_stack.gateway import serve_asgi
from tests.integration.conftest import Users

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.fixture
def served(api_app: FastAPI) -> Iterator[str]:
    with serve_asgi(api_app, lifespan=True) as port:
        yield f"http://127.0.0.1:{port}"


def test_no_operation_fails_or_breaks_its_contract(
    api_app: FastAPI, served: str, users: Users
) -> None:
    schema = schemathesis.openapi.from_dict(api_app.openapi())
    headers = {"Authorization": f"Bearer {users.token('user_fuzz')}"}
    operations: list[APIOperation[Any, Any, Any, Any]] = []
    for result in schema.get_all_operations():
        assert isinstance(result, Ok), f"the service's own schema is invalid: {result}"
        operations.append(result.ok())
    assert {operation.path for operation in operations} >= {"/api/v1/entities", "/readyz"}

    for operation in operations:

        @settings(
            max_examples=25,
            deadline=None,
            # The same examples every run: a gate must not pass or fail by chance.
            derandomize=True,
            database=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        )
        @given(case=operation.as_strategy())
        def answers_within_its_contract(case: schemathesis.Case[Any]) -> None:
            case.call_and_validate(base_url=served, headers=headers, checks=CHECKS)

        answers_within_its_contract()
