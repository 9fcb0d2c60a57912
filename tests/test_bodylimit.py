"""One request-body limit for every route (``max_body_bytes``), larger where a route says so, enforced
before the body is read — with or without Content-Length — and answered 413 in the envelope."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient

from eventguard.app import create_app
from eventguard.config import Settings
from eventguard.db import Database
from eventguard.events.models import Event
from eventguard.plans.api import MAX_PLAN_BYTES
from tests.conftest import AuthHeaders

LIMIT = 1024 * 1024  # the default


def _assert_too_large(response: object, limit: int = LIMIT) -> None:
    assert response.status_code == 413  # type: ignore[attr-defined]
    body = response.json()  # type: ignore[attr-defined]
    assert body["error"]["code"] == "payload_too_large"
    assert body["error"]["details"] == {"limit": limit}
    assert str(limit) in body["error"]["message"]
    assert response.headers["x-request-id"]  # type: ignore[attr-defined]


def test_an_anonymous_oversized_post_is_refused_by_its_declared_length(
    client: TestClient, event: Event
) -> None:
    huge = b'{"kind": "email", "address": "' + b"a" * (LIMIT + 1) + b'"}'
    response = client.post(
        f"/status/{event.slug}/subscribers", content=huge, headers={"Content-Type": "application/json"}
    )
    _assert_too_large(response)
    english = client.post(
        f"/status/{event.slug}/subscribers",
        content=huge,
        headers={"Content-Type": "application/json", "Accept-Language": "en"},
    )
    assert english.json()["error"]["message"] == f"The request body is larger than {LIMIT} bytes."


def test_a_chunked_body_without_content_length_is_counted(client: TestClient, event: Event) -> None:
    def chunks() -> Iterator[bytes]:
        for _ in range(20):
            yield b"x" * 65536

    response = client.post(f"/status/{event.slug}/subscribers", content=chunks())
    assert "content-length" not in response.request.headers
    _assert_too_large(response)
    form = client.post(
        f"/status/{event.slug}/subscribe",
        content=chunks(),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    _assert_too_large(form)


def test_routes_with_their_own_limit_take_more(client: TestClient, auth_headers: AuthHeaders) -> None:
    plan = "# " + "x" * (LIMIT + 10) + "\n"  # past the default, within the plans' limit
    response = client.post(
        "/api/v1/plans/validate",
        content=plan,
        headers={**auth_headers("viewer"), "Content-Type": "application/yaml"},
    )
    assert response.status_code == 200, response.text
    larger = "# " + "x" * MAX_PLAN_BYTES + "\n"
    refused = client.post(
        "/api/v1/plans/validate",
        content=larger,
        headers={**auth_headers("viewer"), "Content-Type": "application/yaml"},
    )
    _assert_too_large(refused, MAX_PLAN_BYTES)


def test_alert_intake_takes_bodies_up_to_its_own_limit(client: TestClient) -> None:
    body = b'{"title": "' + b"a" * (2 * LIMIT) + b'"}'
    response = client.post(
        "/api/v1/integrations/generic", content=body, headers={"Content-Type": "application/json"}
    )
    assert response.status_code != 413  # read and refused for what it is (no integration token)
    huge = b"x" * (16 * 1024 * 1024 + 1)
    refused = client.post("/api/v1/integrations/generic", content=huge)
    assert refused.status_code == 413 and refused.json()["error"]["code"] == "payload_too_large"


def test_the_default_limit_is_a_setting(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'eg.db'}"
    app = create_app(Settings(database_url=url, max_body_bytes=100), database=Database(url))
    with TestClient(app) as client:
        response = client.post("/api/v1/auth/login", json={"username": "u" * 100, "password": "p"})
        _assert_too_large(response, 100)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture
def server(app: FastAPI) -> Iterator[int]:
    port = _free_port()
    running = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None))
    thread = threading.Thread(target=running.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not running.started and time.monotonic() < deadline:
        time.sleep(0.02)
    assert running.started
    yield port
    running.should_exit = True
    thread.join(15)


def test_a_real_server_answers_413_before_the_rest_of_a_chunked_body_arrives(
    server: int, event: Event
) -> None:
    """60 MB announced in chunks: the answer comes once the limit is passed, the rest is never sent."""
    with socket.create_connection(("127.0.0.1", server), timeout=10) as conn:
        conn.sendall(
            f"POST /status/{event.slug}/subscribers HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            "Transfer-Encoding: chunked\r\n\r\n".encode()
        )
        chunk = b"x" * 65536
        for _ in range(LIMIT // len(chunk) + 1):  # just past the limit, far from 60 MB
            conn.sendall(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
        answer = b""
        while b"payload_too_large" not in answer and (received := conn.recv(65536)):
            answer += received
        assert answer.startswith(b"HTTP/1.1 413 ")
        assert b"payload_too_large" in answer
