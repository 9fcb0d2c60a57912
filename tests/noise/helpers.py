"""Small helpers of the noise tests: alerts through the real intake path, worker passes, pages."""

from __future__ import annotations

from prometheus_client import REGISTRY
from sqlalchemy import select
from sqlalchemy.orm import Session

from eventguard.alerts import service as alerts
from eventguard.clock import FrozenClock
from eventguard.db import Database
from eventguard.events.models import Event
from eventguard.incidents import timeline
from eventguard.notify.models import Delivery
from eventguard.plugins import alert_formats
from eventguard.worker.context import WorkerContext
from eventguard.worker.loop import run_once
from tests.alerts.builders import am_payload


def ingest(db: Session, event: Event, clock: FrozenClock, *alert_dicts: dict[str, object]) -> list[int]:
    batch = alert_formats()["alertmanager"].parse(am_payload(*alert_dicts), received_at=clock.now())
    result = alerts.ingest(db=db, event=event, batch=batch, source="alertmanager", clock=clock)
    db.commit()
    return result.incident_ids


def worker_pass(database: Database, context: WorkerContext, db: Session) -> None:
    run_once(database=database, context=context)
    db.commit()  # a fresh snapshot for the test's session


def pages(db: Session, incident_id: int, purpose: str | None = None) -> list[Delivery]:
    query = select(Delivery).where(Delivery.incident_id == incident_id).order_by(Delivery.id)
    if purpose is not None:
        query = query.where(Delivery.purpose == purpose)
    return list(db.scalars(query))


def sample(name: str, labels: dict[str, str] | None = None) -> float:
    return REGISTRY.get_sample_value(name, labels or {}) or 0.0


def texts(db: Session, incident_id: int, kind: str) -> list[str]:
    return [e.text or "" for e in timeline.entries(db=db, incident_id=incident_id) if e.kind == kind]
