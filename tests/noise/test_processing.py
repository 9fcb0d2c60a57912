"""Silences and maintenance windows in the journal's processing: a silenced alert is stored and
grouped, its incident opens held (nobody paged, the timeline says which rule), an alert no rule
holds releases it, and the worker releases it when the silence ends while it still fires."""

from __future__ import annotations

from datetime import timedelta

from prometheus_client import REGISTRY
from sqlalchemy import select
from sqlalchemy.orm import Session

from eventguard.alerts import service as alerts
from eventguard.alerts.models import Alert
from eventguard.audit.service import Actor
from eventguard.clock import FrozenClock
from eventguard.db import Database
from eventguard.events.models import Event
from eventguard.incidents import timeline
from eventguard.incidents.models import Incident
from eventguard.noise import service as noise
from eventguard.noise import silencing
from eventguard.notify.models import Delivery
from eventguard.plugins import alert_formats
from eventguard.worker.context import WorkerContext
from eventguard.worker.loop import run_once
from tests.alerts.builders import am_alert, am_payload
from tests.conftest import LIVE_MOMENT

ONCALL = Actor(type="user", name="alice", id=None)


def _ingest(db: Session, event: Event, clock: FrozenClock, *alert_dicts: dict[str, object]) -> list[int]:
    batch = alert_formats()["alertmanager"].parse(am_payload(*alert_dicts), received_at=clock.now())
    result = alerts.ingest(db=db, event=event, batch=batch, source="alertmanager", clock=clock)
    db.commit()
    return result.incident_ids


def _silence(db: Session, event: Event, clock: FrozenClock, *matchers: tuple[str, str, str]) -> int:
    silence = silencing.create_silence(
        db=db,
        event_id=event.id,
        matchers=[{"name": n, "op": o, "value": v} for n, o, v in matchers],
        starts_at=None,
        ends_at=clock.now() + timedelta(hours=1),
        comment="edge-12 is being replaced",
        actor=ONCALL,
        source="api",
        clock=clock,
    )
    db.commit()
    return silence.id


def _pass(database: Database, context: WorkerContext, db: Session) -> None:
    run_once(database=database, context=context)
    db.commit()


def _pages(db: Session, incident_id: int) -> list[Delivery]:
    return list(db.scalars(select(Delivery).where(Delivery.incident_id == incident_id)))


def _sample(name: str, labels: dict[str, str] | None = None) -> float:
    return REGISTRY.get_sample_value(name, labels or {}) or 0.0


def test_a_silenced_alert_is_kept_and_its_incident_is_held_without_paging_anyone(
    db: Session, database: Database, local_event: Event, clock: FrozenClock, worker_context: WorkerContext
) -> None:
    clock.set(LIVE_MOMENT)
    silence_id = _silence(
        db, local_event, clock, ("alertname", "=", "HLSPlaylistStale"), ("instance", "=~", "edge-1[0-9]:443")
    )
    before = _sample("eventguard_noise_suppressed_alerts_total", {"kind": "silence"})
    held_before = _sample("eventguard_noise_held_incidents_total", {"kind": "silence"})
    [incident_id] = _ingest(db, local_event, clock, am_alert("HLSPlaylistStale", instance="edge-12:443"))
    _pass(database, worker_context, db)

    incident = db.get(Incident, incident_id)
    assert incident is not None and incident.level == 1 and incident.firing_count == 1
    assert db.scalar(select(Alert.incident_id).where(Alert.fingerprint.is_not(None))) == incident_id
    assert _pages(db, incident_id) == []  # a level-1 incident, and nobody was paged
    view = noise.incident_noise(db=db, incident_id=incident_id)
    assert view.hold.held and view.hold.rule == f"silence:{silence_id}"
    [row] = view.suppressions
    assert (row.kind, row.alerts) == ("silence", 1)
    assert "edge-12 is being replaced" in row.description and "alice" in row.description
    texts = [
        e.text or "" for e in timeline.entries(db=db, incident_id=incident_id) if e.kind == "suppression"
    ]
    assert any(t.startswith(f"paging held by silence #{silence_id}") for t in texts)
    assert _sample("eventguard_noise_suppressed_alerts_total", {"kind": "silence"}) - before == 1
    assert _sample("eventguard_noise_held_incidents_total", {"kind": "silence"}) - held_before == 1

    # More silenced reports are counted on the same row, with no second timeline entry.
    _ingest(db, local_event, clock, am_alert("HLSPlaylistStale", instance="edge-13:443"))
    [row] = noise.incident_noise(db=db, incident_id=incident_id).suppressions
    assert row.alerts == 2 and len(row.fingerprints) == 2
    entries = [e for e in timeline.entries(db=db, incident_id=incident_id) if e.kind == "suppression"]
    assert len(entries) == 2  # "held by" and the first suppression

    # An alert of the same group that no silence holds joins: the incident is released and pages.
    _ingest(db, local_event, clock, am_alert("HLSPlaylistStale", instance="edge-2:443"))
    _pass(database, worker_context, db)
    view = noise.incident_noise(db=db, incident_id=incident_id)
    assert not view.hold.held and view.hold.released_at is not None
    assert view.hold.release_reason is not None and "that no rule holds joined" in view.hold.release_reason
    roles = {d.role for d in _pages(db, incident_id)}
    assert {"team:tech:lead#zhang-wei", "team:organizer:lead#li-na", "channel:sms-gateway"} <= roles


def test_an_unsilenced_alert_pages_and_the_silence_does_not_touch_other_alerts(
    db: Session, database: Database, local_event: Event, clock: FrozenClock, worker_context: WorkerContext
) -> None:
    clock.set(LIVE_MOMENT)
    _silence(db, local_event, clock, ("alertname", "=", "HLSPlaylistStale"), ("env", "!=", "prod"))
    [incident_id] = _ingest(db, local_event, clock, am_alert("HLSPlaylistStale", env="prod"))
    _pass(database, worker_context, db)
    assert "team:tech:lead#zhang-wei" in {d.role for d in _pages(db, incident_id)}
    assert noise.incident_noise(db=db, incident_id=incident_id).suppressions == []


def test_the_worker_releases_a_held_incident_whose_silence_expired_while_it_still_fires(
    db: Session, database: Database, local_event: Event, clock: FrozenClock, worker_context: WorkerContext
) -> None:
    clock.set(LIVE_MOMENT)
    silence_id = _silence(db, local_event, clock, ("alertname", "=~", "HLS.*"))
    [incident_id] = _ingest(db, local_event, clock, am_alert("HLSPlaylistStale"))
    _pass(database, worker_context, db)
    assert _pages(db, incident_id) == []
    clock.advance(timedelta(minutes=10))
    silencing.expire_silence(db=db, event_id=local_event.id, silence_id=silence_id, actor=ONCALL, clock=clock)
    db.commit()
    released = _sample("eventguard_noise_released_incidents_total")
    _pass(database, worker_context, db)  # releases and emits incident.released
    _pass(database, worker_context, db)  # plans the pages
    assert "team:tech:lead#zhang-wei" in {d.role for d in _pages(db, incident_id)}
    assert _sample("eventguard_noise_released_incidents_total") - released == 1
    hold = noise.hold_of(db=db, incident_id=incident_id)
    assert hold is not None and hold.release_reason == "its noise rules ended while it still fires"


def test_a_held_incident_that_resolves_is_never_paged(
    db: Session, database: Database, local_event: Event, clock: FrozenClock, worker_context: WorkerContext
) -> None:
    clock.set(LIVE_MOMENT)
    silence_id = _silence(db, local_event, clock, ("alertname", "=", "PaymentErrorRate"))
    [incident_id] = _ingest(db, local_event, clock, am_alert("PaymentErrorRate"))
    _ingest(db, local_event, clock, am_alert("PaymentErrorRate", status="resolved"))
    silencing.expire_silence(db=db, event_id=local_event.id, silence_id=silence_id, actor=ONCALL, clock=clock)
    db.commit()
    _pass(database, worker_context, db)
    _pass(database, worker_context, db)
    assert _pages(db, incident_id) == []
    assert noise.incident_noise(db=db, incident_id=incident_id).hold.held


def test_a_held_alert_does_not_raise_the_level_of_an_open_incident(
    db: Session, database: Database, local_event: Event, clock: FrozenClock, worker_context: WorkerContext
) -> None:
    # In the prep phase HLSPlaylistStale is level 3; live it is level 1. A silenced live report must
    # not re-level the prep incident (that would page level 1).
    [incident_id] = _ingest(db, local_event, clock, am_alert("HLSPlaylistStale"))
    _pass(database, worker_context, db)
    clock.set(LIVE_MOMENT)
    _silence(db, local_event, clock, ("instance", "=", "edge-7:443"))
    _ingest(db, local_event, clock, am_alert("HLSPlaylistStale", instance="edge-7:443"))
    incident = db.get(Incident, incident_id)
    assert incident is not None
    db.refresh(incident)
    assert incident.level == 3
    [row] = noise.incident_noise(db=db, incident_id=incident_id).suppressions
    assert row.alerts == 1
