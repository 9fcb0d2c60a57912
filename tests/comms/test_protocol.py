"""The status page answered in uvicorn's protocol (comms/statuspage/protocol.py), in a real uvicorn server on
127.0.0.1: the same bytes and validators as the route, keep-alive and HTTP/1.0, and everything else
left to uvicorn's own path."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import FastAPI

from eventguard.comms.statuspage.cache import StatusPageCache
from eventguard.comms.statuspage.fastpath import Reply
from eventguard.comms.statuspage.protocol import StatusPageProtocol
from eventguard.events.models import Event
from tests.comms.conftest import BASE_URL

SKIP = {"date", "x-request-id", "server"}


class CountingProtocol(StatusPageProtocol):
    """The real protocol, counting the requests it answered itself."""

    answered = 0

    def _write(self, reply: Reply) -> None:
        type(self).answered += 1
        super()._write(reply)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture
def server(app: FastAPI, event: Event) -> Iterator[str]:
    app.state.status_pages = StatusPageCache(
        database=app.state.db, clock=app.state.clock, base_url=BASE_URL, recheck_seconds=3600
    )
    port = _free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, http=CountingProtocol)
    running = uvicorn.Server(config)
    thread = threading.Thread(target=running.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not running.started and time.monotonic() < deadline:
        time.sleep(0.02)
    assert running.started
    CountingProtocol.answered = 0
    yield f"http://127.0.0.1:{port}"
    running.should_exit = True
    thread.join(15)


def _headers(response: httpx.Response) -> dict[str, str]:
    return {k: v for k, v in response.headers.items() if k not in SKIP}


def test_fresh_documents_are_answered_by_the_protocol_like_the_route(server: str, event: Event) -> None:
    with httpx.Client(base_url=server) as client:  # one keep-alive connection
        for path in (
            f"/status/{event.slug}",
            f"/status/{event.slug}.json",
            f"/status/{event.slug}/feed.atom",
        ):
            for language in ("zh-CN", "en"):
                headers = {"Accept-Language": language}
                first = client.get(path, headers=headers)  # rendered by the route (not yet in memory)
                before = CountingProtocol.answered
                second = client.get(path, headers=headers)
                assert CountingProtocol.answered == before + 1  # answered below ASGI
                assert second.status_code == 200 and second.content == first.content
                assert _headers(second) == _headers(first)
                assert "date" in second.headers and "x-request-id" not in second.headers
                assert second.headers["x-frame-options"] == "DENY"  # the app's security headers too
                assert second.headers["x-content-type-options"] == "nosniff"
                assert "frame-ancestors 'none'" in second.headers["content-security-policy"]
                assert second.headers["cache-control"] == "public, max-age=1"
                again = client.get(path, headers={**headers, "If-None-Match": second.headers["etag"]})
                assert again.status_code == 304 and again.content == b""
                since = client.get(
                    path, headers={**headers, "If-Modified-Since": second.headers["last-modified"]}
                )
                assert since.status_code == 304
                head = client.head(path, headers=headers)
                assert head.content == b"" and head.headers["content-length"] == str(len(first.content))
        english = client.get(f"/status/{event.slug}?lang=en")
        assert english.headers["content-language"] == "en"
    assert CountingProtocol.answered == 6 * 4 + 1


def test_http_1_0_gets_its_answer_and_the_connection_closes(server: str, event: Event) -> None:
    with httpx.Client(base_url=server) as client:
        client.get(f"/status/{event.slug}")  # into memory
    host, port = server.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as conn:
        conn.sendall(f"GET /status/{event.slug} HTTP/1.0\r\nHost: x\r\n\r\n".encode())
        received = b""
        while chunk := conn.recv(65536):  # ends: the server closes the connection
            received += chunk
    head, _, body = received.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200 OK") and b"connection: close" in head.lower()
    length = next(
        int(line.split(b":")[1]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length")
    )
    assert len(body) == length and CountingProtocol.answered == 1


def test_everything_else_takes_uvicorns_own_path(server: str, event: Event) -> None:
    with httpx.Client(base_url=server) as client:
        client.get(f"/status/{event.slug}")
        answered = CountingProtocol.answered
        assert client.get("/healthz").status_code == 200
        assert client.post(f"/status/{event.slug}").status_code == 405
        assert client.get(f"/status/{event.slug}/nothing-here").status_code == 404
        encoded: Any = client.get(f"/status/{event.slug.replace('-', '%2D')}")  # uvicorn decodes it
        assert encoded.status_code == 200
        assert CountingProtocol.answered == answered  # none of these was answered by the shortcut
