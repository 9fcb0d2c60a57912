"""The connection pool outlasts the web server's threads: many readers at once in a real uvicorn
server all answer, none waits out the pool's 30 s timeout (db/engine.py tells the deadlock that a
smaller pool met: every thread taken by a request waiting for a connection, while the requests
holding the connections wait for a thread)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from typing import Annotated

import httpx
import pytest
import uvicorn
from fastapi import Depends, FastAPI
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from eventguard.auth.deps import CurrentPrincipal
from eventguard.clock import FrozenClock
from eventguard.db import Database
from eventguard.db.engine import HTTP_THREADS
from eventguard.deps import DbSession
from eventguard.events.models import Event
from tests.auth.factories import bearer, make_token, make_user

READERS = HTTP_THREADS * 2


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture
def served(app: FastAPI) -> Iterator[str]:
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    assert server.started
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def test_the_pool_holds_more_connections_than_the_server_has_threads(database: Database) -> None:
    pool = database.engine.pool
    capacity = pool.size() + pool._max_overflow  # type: ignore[attr-defined]
    assert capacity > HTTP_THREADS


def _slow_step(db: DbSession) -> int:
    """A dependency that takes a while after the session opened, like a heavy page's reads."""
    time.sleep(0.3)
    return db.scalar(select(func.count()).select_from(Event)) or 0


def _slow_page(_viewer: CurrentPrincipal, events: Annotated[int, Depends(_slow_step)]) -> dict[str, int]:
    return {"events": events}


def test_twice_as_many_readers_as_threads_all_answer(
    app: FastAPI, served: str, db: Session, clock: FrozenClock, event: Event
) -> None:
    app.add_api_route("/test/slow-page", _slow_page)
    secret = make_token(db, clock, make_user(db, clock, "reader"), "read")
    start = threading.Barrier(READERS)
    answers: list[int | str] = []

    def read() -> None:
        with httpx.Client(base_url=served, timeout=20, headers=bearer(secret)) as client:
            start.wait()
            try:
                answers.append(client.get("/test/slow-page").status_code)
            except httpx.HTTPError as exc:
                answers.append(repr(exc))

    readers = [threading.Thread(target=read) for _ in range(READERS)]
    for thread in readers:
        thread.start()
    for thread in readers:
        thread.join(timeout=60)
    assert answers == [200] * READERS
