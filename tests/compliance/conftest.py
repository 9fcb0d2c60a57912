"""Compliance fixtures: the example plan with its robots at a local HTTP receiver and the legal team
reachable through the WeCom group (its lead has a WeCom handle), a worker context with a frozen clock."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy.orm import Session

from eventguard.audit.service import Actor
from eventguard.clock import FrozenClock
from eventguard.config import Settings
from eventguard.events import service as events
from eventguard.events.models import Event
from eventguard.plans import service as plans
from eventguard.worker.context import WorkerContext
from tests.conftest import EXAMPLE_PLAN
from tests.notify.conftest import SECRETS, VENDOR_URLS, vendor_ok
from tests.notify.receivers import HttpReceiver, SmtpReceiver, http_receiver, smtp_receiver

__all__ = ["http_receiver", "smtp_receiver"]


def local_source(receiver: HttpReceiver) -> str:
    source = EXAMPLE_PLAN.read_text(encoding="utf-8")
    for vendor, path in VENDOR_URLS.items():
        source = source.replace(vendor, receiver.url.rstrip("/") + path)
    legal = "    members: [wu-hao]\n    channels: [legal-email]\n"
    assert legal in source
    return source.replace(legal, "    members: [wu-hao]\n    channels: [tech-wecom, legal-email]\n")


@pytest.fixture
def legal_event(
    db: Session, clock: FrozenClock, http_receiver: HttpReceiver, monkeypatch: pytest.MonkeyPatch
) -> Event:
    for name, value in SECRETS.items():
        monkeypatch.setenv(name, value)
    http_receiver.answer_with(vendor_ok)
    version = plans.apply_plan(
        db=db, source=local_source(http_receiver), filename="local.yaml", actor=Actor.cli("test"), clock=clock
    )
    db.commit()
    event = events.get(db=db, event_id=version.event_id)
    db.commit()
    return event


@pytest.fixture
def worker_context(clock: FrozenClock, smtp_receiver: SmtpReceiver) -> Iterator[WorkerContext]:
    settings = Settings(
        database_url="sqlite://",
        secret_key="test-secret-key",
        base_url="http://eg.test",
        smtp_host=smtp_receiver.host,
        smtp_port=smtp_receiver.port,
    )
    with httpx.Client() as client:
        yield WorkerContext(clock=clock, settings=settings, http=client, name="test-worker")
