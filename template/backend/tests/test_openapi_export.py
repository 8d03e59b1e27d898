"""`python -m scripts.openapi`: the document generated clients are built from."""

import json

import pytest

from scripts.openapi import document, main


def test_the_document_names_operations_after_their_route_functions() -> None:
    spec = json.loads(document())

    operations = {
        operation["operationId"] for path in spec["paths"].values() for operation in path.values()
    }
    assert {"list_entities", "create_entity", "update_entity", "delete_entity"} <= operations
    assert spec["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"


def test_main_prints_the_document(capsys: pytest.CaptureFixture[str]) -> None:
    main()

    assert capsys.readouterr().out == document()
