"""Flapping (example plan: more than 3 fire/resolve cycles within 30m): the alert paged once when
its incident opened; marked flapping, its re-fire that reopens the incident is held (no second
page); the room's data has its history; when it stops changing for 30m while firing, the hold is
released and the incident pages."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from eventguard.audit.service import Actor
from eventguard.clock import FrozenClock
from eventguard.db import Database
from eventguard.events.models import Event
from eventguard.incidents import service as incidents
from eventguard.incidents.models import Incident
from eventguard.noise import service as noise
from eventguard.worker.context import WorkerContext
from tests.alerts.builders import am_alert
from tests.conftest import LIVE_MOMENT
from tests.noise.helpers import ingest, pages, sample, texts, worker_pass

COMMANDER = Actor(type="user", name="zhang-wei", id=None)
OPENING = ("incident.opened", "incident.reopened", "incident.released")


def _opening_pages(db: Session, incident_id: int) -> int:
    return sum(1 for d in pages(db, incident_id) if d.notification["topic"] in OPENING)


def test_a_flapping_alert_pages_once_and_its_history_is_kept(
    db: Session, database: Database, local_event: Event, clock: FrozenClock, worker_context: WorkerContext
) -> None:
    clock.set(LIVE_MOMENT)
    flapping_before = sample("eventguard_noise_flapping_alerts_total")
    held_before = sample("eventguard_noise_held_incidents_total", {"kind": "flapping"})
    alert = am_alert("PaymentSingleOrderFailed", instance="pay-3:443")  # level 3
    [incident_id] = ingest(db, local_event, clock, alert)
    worker_pass(database, worker_context, db)
    first = _opening_pages(db, incident_id)
    assert first > 0

    # Three cycles are allowed: fired and resolved 3 times, it is not flapping yet.
    for _ in range(3):
        clock.advance(timedelta(minutes=1))
        ingest(db, local_event, clock, {**alert, "status": "resolved"})
        clock.advance(timedelta(minutes=1))
        ingest(db, local_event, clock, alert)
    [view] = noise.incident_noise(db=db, incident_id=incident_id).flapping
    assert not view.flapping and [h.status for h in view.history] == ["firing", *["resolved", "firing"] * 3]
    # The fourth resolve within 30 minutes: flapping.
    clock.advance(timedelta(minutes=1))
    ingest(db, local_event, clock, {**alert, "status": "resolved"})
    [view] = noise.incident_noise(db=db, incident_id=incident_id).flapping
    assert view.flapping and view.times_flapping == 1 and len(view.history) == 8
    assert sample("eventguard_noise_flapping_alerts_total") - flapping_before == 1
    assert any(
        "is flapping: it fired and resolved 4 times within 30m" in t
        for t in texts(db, incident_id, "suppression")
    )

    # Someone resolves the incident; the alert fires again: the incident reopens, held, no page.
    incident = incidents.get(db=db, incident_id=incident_id, for_update=True)
    incidents.resolve(db=db, incident=incident, actor=COMMANDER, clock=clock, note="looks fine")
    db.commit()
    clock.advance(timedelta(minutes=1))
    assert ingest(db, local_event, clock, alert) == [incident_id]
    worker_pass(database, worker_context, db)
    worker_pass(database, worker_context, db)
    reopened = db.get(Incident, incident_id)
    assert reopened is not None
    db.refresh(reopened)
    assert reopened.status.value == "triggered"
    assert noise.paging_held(db=db, incident_id=incident_id)
    assert _opening_pages(db, incident_id) == first  # paged once
    assert sample("eventguard_noise_held_incidents_total", {"kind": "flapping"}) - held_before == 1
    rules = {s.rule: s for s in noise.incident_noise(db=db, incident_id=incident_id).suppressions}
    assert rules["flapping"].kind == "flapping" and rules["flapping"].alerts == 1

    # Quiet for 30 minutes while it fires: it stops flapping, the hold is released, it pages.
    clock.advance(timedelta(minutes=31))
    worker_pass(database, worker_context, db)  # the flap ends, the hold is released
    worker_pass(database, worker_context, db)  # incident.released plans the pages
    [view] = noise.incident_noise(db=db, incident_id=incident_id).flapping
    assert not view.flapping and view.history[-1].status == "firing"
    hold = noise.hold_of(db=db, incident_id=incident_id)
    assert hold is not None and hold.release_reason is not None and "stopped flapping" in hold.release_reason
    assert _opening_pages(db, incident_id) > first
    assert any("stopped flapping and still fires" in t for t in texts(db, incident_id, "suppression"))


def test_changes_spread_over_more_than_the_window_are_not_flapping(
    db: Session, local_event: Event, clock: FrozenClock
) -> None:
    clock.set(LIVE_MOMENT)
    alert = am_alert("PaymentSingleOrderFailed", instance="pay-4:443")
    [incident_id] = ingest(db, local_event, clock, alert)
    for _ in range(6):  # a cycle every 20 minutes: never more than 3 resolves within 30m
        clock.advance(timedelta(minutes=10))
        ingest(db, local_event, clock, {**alert, "status": "resolved"})
        clock.advance(timedelta(minutes=10))
        ingest(db, local_event, clock, alert)
    [view] = noise.incident_noise(db=db, incident_id=incident_id).flapping
    assert not view.flapping and view.times_flapping == 0 and len(view.history) == 13
