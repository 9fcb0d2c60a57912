"""Comms test helpers: incidents of the example plan, published updates, a worker context and the
status page answered without the 1-second recheck (so a change made through the session shows)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from eventguard.audit.service import Actor
from eventguard.clock import FrozenClock
from eventguard.comms.models import PublicStatus, PublicUpdate
from eventguard.comms.statuspage.cache import StatusPageCache
from eventguard.comms.updates import approval as publishing
from eventguard.comms.updates import drafts as public
from eventguard.config import Settings
from eventguard.db import Database
from eventguard.events.models import Event
from eventguard.incidents import service as incidents
from eventguard.incidents.models import Incident
from eventguard.notify.models import Delivery
from eventguard.plans import service as plans
from eventguard.worker.context import WorkerContext
from eventguard.worker.dispatch import dispatch_pending
from tests.notify.receivers import http_receiver, smtp_receiver

__all__ = ["http_receiver", "smtp_receiver"]

TESTER = Actor.cli("test")
BASE_URL = "http://testserver"


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    """The app with a page cache that checks the database before every answer (renders only on change)."""
    app.state.status_pages = StatusPageCache(
        database=app.state.db, clock=app.state.clock, base_url=BASE_URL, recheck_seconds=0, background=False
    )
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture
def worker(clock: FrozenClock, settings: Settings) -> Iterator[WorkerContext]:
    """What the worker hands the comms reactions."""
    with httpx.Client() as http:
        yield WorkerContext(clock=clock, settings=settings, http=http, name="test-worker")


def run_reactions(database: Database, worker: WorkerContext) -> int:
    """Process every due outbox row (comms and notify reactions) like a worker pass."""
    return dispatch_pending(database=database, context=worker, limit=500)


def declare(
    db: Session,
    event: Event,
    clock: FrozenClock,
    *,
    scenario: str = "livestream-interruption",
    level: int = 2,
    title: str = "Main stream stalled",
    impact: str | None = None,
    is_drill: bool = False,
) -> Incident:
    db.commit()  # end any read snapshot: SQLite refuses a write from a snapshot older than the app's
    spec = plans.get_active_plan(db=db, event_id=event.id)
    incident = incidents.declare(
        db=db,
        event=event,
        spec=spec,
        title=title,
        level=level,
        scenario_id=scenario,
        core_functions=None,
        impact=impact,
        phase=None,
        actor=TESTER,
        clock=clock,
        is_drill=is_drill,
    )
    db.commit()
    return incident


def publish(
    db: Session,
    incident: Incident,
    clock: FrozenClock,
    *,
    status: PublicStatus = PublicStatus.investigating,
    **variables: Any,
) -> PublicUpdate:
    """Draft from the template and publish at once (the incident's level must not need approval)."""
    db.commit()  # end any read snapshot (see ``declare``)
    spec = plans.get_active_plan(db=db, event_id=incident.event_id)
    draft = public.DraftInput(status=status, variables=variables or None)
    update = public.create_draft(
        db=db, incident=incident, spec=spec, draft=draft, base_url=BASE_URL, actor=TESTER, clock=clock
    )
    publishing.publish(db=db, update=update, incident=incident, actor=TESTER, clock=clock)
    db.commit()
    return update


def deliveries(db: Session, purpose: str | None = None) -> list[Delivery]:
    """Queued deliveries, oldest first (optionally of one purpose)."""
    query = select(Delivery).order_by(Delivery.id)
    if purpose is not None:
        query = query.where(Delivery.purpose == purpose)
    db.commit()  # a new snapshot: see what the app and the worker committed
    return list(db.scalars(query))
