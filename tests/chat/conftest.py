"""War-room fixtures: the example plan applied, users of each role whose chat accounts are linked,
and a worker context whose HTTP client reaches the local platform servers."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from eventguard.audit.service import Actor
from eventguard.auth import service as auth
from eventguard.auth.models import Role
from eventguard.chat import identities
from eventguard.chat import worker as chat_worker
from eventguard.clock import FrozenClock
from eventguard.config import Settings
from eventguard.db import Database
from eventguard.events.models import Event
from eventguard.worker.context import WorkerContext
from eventguard.worker.dispatch import dispatch_pending
from tests.conftest import AuthHeaders
from tests.notify.receivers import HttpReceiver, http_receiver

__all__ = ["http_receiver"]


@pytest.fixture
def context(settings: Settings, clock: FrozenClock) -> Iterator[WorkerContext]:
    with httpx.Client(timeout=5.0) as http:
        yield WorkerContext(clock=clock, settings=settings, http=http)


WorkerPass = Callable[[], None]


@pytest.fixture
def worker_pass(database: Database, context: WorkerContext) -> WorkerPass:
    """What a worker pass does for war rooms: the outbox (rooms asked for), then the chat job."""

    def run() -> None:
        dispatch_pending(database=database, context=context)
        chat_worker.run(database=database, context=context)

    return run


Link = Callable[[str, str, str], None]


@pytest.fixture
def link(db: Session, clock: FrozenClock, auth_headers: AuthHeaders) -> Link:
    """``link(role, platform, external_id)``: the user of that role (from auth_headers) is that account."""

    def _link(role: str, platform: str, external_id: str) -> None:
        auth_headers(role)
        user = auth.get_user_by_username(db=db, username=f"{role}-user")
        assert user is not None
        identities.link(
            db=db, user=user, platform=platform, external_id=external_id, actor=Actor.cli("test"), clock=clock
        )
        db.commit()

    return _link


def declare(
    client: TestClient, headers: dict[str, str], event: Event, level: int = 1, title: str = "Main stream down"
) -> dict[str, Any]:
    answer = client.post(
        "/api/v1/incidents", json={"event": event.slug, "title": title, "level": level}, headers=headers
    )
    assert answer.status_code == 201, answer.text
    return dict(answer.json())


def receiver_paths(receiver: HttpReceiver) -> list[str]:
    return [request.path for request in receiver.requests]


__all__ += ["Role", "declare", "receiver_paths"]
