"""The app factory: health, readiness, request ids and the JSON error envelope."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.testclient import TestClient
from structlog.testing import capture_logs

from eventguard.app import create_app
from eventguard.config import Settings
from eventguard.db import Database


def test_healthz_answers_ok(client: TestClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_readyz_answers_200_on_a_migrated_database(client: TestClient) -> None:
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json()["status"] == "ready"


def test_readyz_answers_503_when_migrations_are_pending(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    app = create_app(Settings(database_url=url), database=Database(url))
    with TestClient(app) as client:
        response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "migrations_pending"


def test_an_unknown_route_answers_the_json_error_envelope(client: TestClient) -> None:
    response = client.get("/api/v1/no-such-thing")
    assert response.status_code == 404
    assert set(response.json()["error"]) == {"code", "message", "details"}
    assert response.json()["error"]["code"] == "not_found"


def test_a_wrong_method_answers_405_in_the_envelope(client: TestClient) -> None:
    response = client.delete("/healthz")
    assert response.status_code == 405
    assert response.json()["error"]["code"] == "method_not_allowed"


def test_every_response_carries_a_request_id(client: TestClient) -> None:
    generated = client.get("/healthz").headers["x-request-id"]
    assert len(generated) == 32
    echoed = client.get("/healthz", headers={"X-Request-ID": "abc-123"}).headers["x-request-id"]
    assert echoed == "abc-123"


def test_openapi_is_served(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    assert spec["info"]["title"] == "EventGuard"
    assert "/readyz" in spec["paths"]


def test_a_path_whose_methods_are_on_several_routes_allows_them_all(client: TestClient) -> None:
    response = client.delete("/api/v1/users")  # GET and POST are two routes
    assert response.status_code == 405
    assert response.headers["allow"] == "GET, POST"
    assert response.json()["error"]["code"] == "method_not_allowed"
    english = client.delete("/status/cloud/confirm/token", headers={"Accept-Language": "en"})
    assert english.headers["allow"] == "GET, POST"
    assert english.json()["error"]["message"] == "This address does not take the DELETE method."


def test_an_unhandled_error_answers_500_with_its_request_id_and_is_logged_once(app: FastAPI) -> None:
    def broken() -> None:
        raise RuntimeError("a bug")

    app.add_api_route("/broken", broken)
    with capture_logs() as logs, TestClient(app) as client:  # a re-raised error would fail the call here
        response = client.get("/broken", headers={"X-Request-ID": "rid-500", "Accept-Language": "en"})
    assert response.status_code == 500
    assert response.headers["x-request-id"] == "rid-500"
    assert response.json()["error"] == {
        "code": "internal_error",
        "message": "Internal error; it has been logged.",
        "details": {"request_id": "rid-500"},
    }
    assert response.headers["x-frame-options"] == "DENY"
    errors = [entry for entry in logs if entry["log_level"] in ("error", "critical")]
    assert [entry["event"] for entry in errors] == ["unhandled_error"]
    assert errors[0]["exc_info"] is True and "a bug" in errors[0]["error"]
    assert errors[0]["request_id"] == "rid-500"


def test_a_body_that_is_not_utf8_json_is_a_422_like_any_unreadable_json(client: TestClient) -> None:
    for body in (b"\xff\xfe{", b"{nope"):
        answer = client.post("/api/v1/auth/login", content=body, headers={"Content-Type": "application/json"})
        assert answer.status_code == 422, answer.text
        assert answer.json()["error"]["code"] == "invalid_input"
