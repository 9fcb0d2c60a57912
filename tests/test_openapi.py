"""The OpenAPI document declares the error answers the routes really give, in the envelope's shape."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient

from eventguard.app import create_app
from eventguard.config import Settings
from eventguard.openapi import ErrorEnvelope

ENVELOPE = {"$ref": "#/components/schemas/ErrorEnvelope"}


@pytest.fixture(scope="module")
def spec() -> dict[str, Any]:
    with TestClient(create_app(Settings(database_url="sqlite:///:memory:"))) as client:
        found: dict[str, Any] = client.get("/openapi.json").json()
    return found


def _responses(spec: dict[str, Any], method: str, path: str) -> dict[str, Any]:
    found: dict[str, Any] = spec["paths"][path][method]["responses"]
    return found


def _error_schema(answer: dict[str, Any]) -> Any:
    return answer["content"]["application/json"]["schema"]


def test_the_envelope_is_a_component_with_its_fields(spec: dict[str, Any]) -> None:
    schemas = spec["components"]["schemas"]
    assert schemas["ErrorEnvelope"]["required"] == ["error"]
    assert set(schemas["ErrorBody"]["properties"]) == {"code", "message", "details"}
    assert "HTTPValidationError" not in schemas  # FastAPI's 422 shape is not what we answer
    ErrorEnvelope.model_validate({"error": {"code": "not_found", "message": "…", "details": None}})


def test_authenticated_routes_declare_401_and_403_and_public_ones_do_not(spec: dict[str, Any]) -> None:
    for method, path in (
        ("get", "/api/v1/events"),
        ("post", "/api/v1/incidents"),
        ("get", "/api/v1/auth/me"),
        ("post", "/api/v1/plans/validate"),
    ):
        answers = _responses(spec, method, path)
        assert _error_schema(answers["401"]) == ENVELOPE, path
        assert _error_schema(answers["403"]) == ENVELOPE, path
    for method, path in (
        ("get", "/healthz"),
        ("get", "/status/{slug}.json"),
        ("post", "/status/{slug}/subscribers"),
    ):
        assert "401" not in _responses(spec, method, path), path


def test_route_specific_errors_are_declared(spec: dict[str, Any]) -> None:
    expected = {
        ("get", "/api/v1/events/{slug}"): "404",
        ("post", "/api/v1/incidents/{incident_id}/level"): "409",
        ("post", "/api/v1/users"): "409",
        ("post", "/api/v1/auth/login"): "429",
        ("post", "/status/{slug}/subscribers"): "413",
        ("post", "/api/v1/plans"): "413",
        ("get", "/status/{slug}"): "404",
        ("get", "/readyz"): "503",
    }
    for (method, path), status in expected.items():
        assert _error_schema(_responses(spec, method, path)[status]) == ENVELOPE, (path, status)
    assert "413" not in _responses(spec, "get", "/api/v1/events")  # takes no body
    assert "409" not in _responses(spec, "get", "/api/v1/incidents/{incident_id}")


def test_every_422_is_the_envelope(spec: dict[str, Any]) -> None:
    invalid = [
        f"{method} {path}"
        for path, operations in spec["paths"].items()
        for method, operation in operations.items()
        if "422" in operation["responses"] and _error_schema(operation["responses"]["422"]) != ENVELOPE
    ]
    assert invalid == []


def test_the_document_stays_consistent(spec: dict[str, Any]) -> None:
    """Every reference resolves; every answer has a description and a status code as its key."""
    text = json.dumps(spec)
    schemas = spec["components"]["schemas"]
    for ref in {part.split('"')[0] for part in text.split('"$ref": "')[1:]}:
        assert ref.startswith("#/components/schemas/") and ref.rsplit("/", 1)[1] in schemas, ref
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            for status, answer in operation["responses"].items():
                assert status.isdigit() and 100 <= int(status) < 600, (method, path, status)
                assert answer["description"], (method, path, status)


def test_the_document_answers_the_same_twice(spec: dict[str, Any]) -> None:
    app = create_app(Settings(database_url="sqlite:///:memory:"))
    assert app.openapi() == app.openapi()
    assert json.dumps(app.openapi(), sort_keys=True) == json.dumps(spec, sort_keys=True)


def test_the_answers_fuzzing_found_undeclared_are_declared(spec: dict[str, Any]) -> None:
    """Schemathesis (tests/fuzz) found these answered but not in the document."""
    for path in ("/ical/{slug}/schedules/{schedule_id}.ics", "/ical/{slug}/people/{person_id}.ics"):
        assert _error_schema(_responses(spec, "get", path)["403"]) == ENVELOPE  # a bad feed token
    assert _error_schema(_responses(spec, "post", "/api/v1/auth/totp/disable")["404"]) == ENVELOPE
    for method, path, status in (
        ("post", "/status/{slug}/subscribe", "404"),
        ("post", "/status/{slug}/subscribe", "422"),
        ("get", "/status/{slug}/{action}/{token}", "403"),
        ("post", "/status/{slug}/{action}/{token}", "409"),
    ):
        content = _responses(spec, method, path)[status]["content"]
        assert content["text/html"] == {"schema": {"type": "string"}}, (path, status)  # a page for people
        assert content["application/json"] == {"schema": ENVELOPE}, (path, status)  # an unreadable request
