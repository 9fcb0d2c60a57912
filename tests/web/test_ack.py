"""Acknowledging by the signed link in a notification."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from eventguard.audit.service import Actor
from eventguard.clock import FrozenClock
from eventguard.config import Settings
from eventguard.events.models import Event
from eventguard.incidents import service as incidents
from eventguard.incidents.models import Incident, IncidentStatus
from eventguard.notify.ack import ack_token
from eventguard.plans import service as plans


def _incident(db: Session, event: Event, clock: FrozenClock) -> Incident:
    spec = plans.get_active_plan(db=db, event_id=event.id)
    incident = incidents.declare(
        db=db,
        event=event,
        spec=spec,
        title="Payment gateway down",
        level=2,
        scenario_id="payment-failure",
        core_functions=None,
        impact=None,
        phase="prep",
        actor=Actor.cli("test"),
        clock=clock,
    )
    db.commit()
    return incident


def test_the_link_shows_a_confirmation_and_the_post_acknowledges(
    client: TestClient, db: Session, event: Event, clock: FrozenClock, settings: Settings
) -> None:
    incident = _incident(db, event, clock)
    url = f"/ack/{ack_token(settings, incident.id, 'zhang-wei', clock.now())}?lang=en"
    page = client.get(url)
    assert page.status_code == 200 and "I am on it: acknowledge" in page.text
    db.refresh(incident)
    assert incident.status is IncidentStatus.triggered  # a GET (a link preview) changes nothing
    done = client.post(url)
    assert done.status_code == 200 and "Acknowledged" in done.text
    db.commit()
    db.refresh(incident)
    assert incident.status is IncidentStatus.acknowledged
    entry = [e for e in incidents.timeline.entries(db=db, incident_id=incident.id) if e.kind == "status"][-1]
    assert entry.actor_name == "zhang-wei" and entry.actor_type == "link"


def test_a_forged_or_expired_link_is_refused(
    client: TestClient, db: Session, event: Event, clock: FrozenClock, settings: Settings
) -> None:
    incident = _incident(db, event, clock)
    forged = client.post(f"/ack/{ack_token(settings, incident.id, 'x', clock.now())}tampered")
    assert forged.status_code == 403
    token = ack_token(settings, incident.id, "x", clock.now())
    clock.advance(timedelta(hours=25))
    assert client.post(f"/ack/{token}").status_code == 403
    db.commit()
    db.refresh(incident)
    assert incident.status is IncidentStatus.triggered
