"""A worker pass auto-resolves quiet incidents, in its own transaction."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from eventguard.alerts import service as alerts
from eventguard.clock import FrozenClock
from eventguard.config import Settings
from eventguard.db import Database
from eventguard.events.models import Event
from eventguard.incidents.models import Incident, IncidentStatus
from eventguard.plugins import alert_formats
from eventguard.worker.context import WorkerContext
from eventguard.worker.loop import run_once
from tests.alerts.builders import am_alert, am_payload


def test_a_pass_resolves_a_level_three_incident_after_its_quiet_period(
    db: Session, database: Database, event: Event, clock: FrozenClock, settings: Settings
) -> None:
    alert = am_alert("LoginFailed", instance="web-1")
    for state in (alert, {**alert, "status": "resolved", "endsAt": "2026-05-20T01:02:00Z"}):
        batch = alert_formats()["alertmanager"].parse(am_payload(state), received_at=clock.now())
        alerts.ingest(db=db, event=event, batch=batch, source="alertmanager", clock=clock)
        db.commit()
    context = WorkerContext(clock=clock, settings=settings)
    assert run_once(database=database, context=context).auto_resolved == []
    clock.advance(timedelta(minutes=31))
    report = run_once(database=database, context=context)
    assert len(report.auto_resolved) == 1
    incident = db.get(Incident, report.auto_resolved[0])
    assert incident is not None
    db.refresh(incident)
    assert incident.status is IncidentStatus.resolved
