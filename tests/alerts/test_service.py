"""Intake: dedup by fingerprint, grouping into one incident, resolve flows, classification by phase."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from eventguard.alerts import service as alerts
from eventguard.alerts.models import Alert, AlertBatch
from eventguard.clock import FrozenClock
from eventguard.events.models import Event
from eventguard.incidents import grouping
from eventguard.incidents import service as incidents
from eventguard.incidents.models import Incident, IncidentStatus
from eventguard.outbox.models import OutboxMessage
from eventguard.plans import service as plans
from eventguard.plugins import alert_formats
from tests.alerts.builders import am_alert, am_payload
from tests.conftest import LIVE_MOMENT


def _ingest(
    db: Session, event: Event, clock: FrozenClock, *alert_dicts: dict[str, object]
) -> alerts.IngestResult:
    batch = alert_formats()["alertmanager"].parse(am_payload(*alert_dicts), received_at=clock.now())
    result = alerts.ingest(db=db, event=event, batch=batch, source="alertmanager", clock=clock)
    db.commit()
    return result


def _incidents(db: Session) -> list[Incident]:
    return list(db.scalars(select(Incident).order_by(Incident.id)))


def test_a_storm_of_a_thousand_alerts_about_one_outage_opens_one_incident(
    db: Session, event: Event, clock: FrozenClock
) -> None:
    clock.set(LIVE_MOMENT)
    storm = [am_alert("HLSPlaylistStale", instance=f"edge-{n}:443") for n in range(1000)]
    for start in range(0, 1000, 100):
        _ingest(db, event, clock, *storm[start : start + 100])
    [incident] = _incidents(db)
    assert incident.alert_count == 1000
    assert incident.firing_count == 1000
    assert db.scalar(select(func.count()).select_from(Alert)) == 1000
    assert db.scalar(select(func.count()).select_from(AlertBatch)) == 10
    opened = db.scalars(select(OutboxMessage).where(OutboxMessage.topic == "incident.opened")).all()
    assert len(opened) == 1


def test_a_repeated_alert_updates_the_same_row(db: Session, event: Event, clock: FrozenClock) -> None:
    alert = am_alert("PaymentErrorRate")
    _ingest(db, event, clock, alert)
    clock.advance(timedelta(minutes=1))
    _ingest(db, event, clock, alert)
    [row] = db.scalars(select(Alert)).all()
    assert row.receive_count == 2
    assert len(_incidents(db)) == 1


def test_different_groups_open_different_incidents(db: Session, event: Event, clock: FrozenClock) -> None:
    result = _ingest(db, event, clock, am_alert("PaymentErrorRate"), am_alert("LoginErrorRateHigh"))
    assert len(set(result.incident_ids)) == 2


def test_a_livestream_alert_is_level_one_live_and_level_three_in_prep(
    db: Session, event: Event, clock: FrozenClock
) -> None:
    _ingest(db, event, clock, am_alert("HLSPlaylistStale"))  # the fixture clock is in the prep phase
    [prep_incident] = _incidents(db)
    assert (prep_incident.level, prep_incident.phase) == (3, "prep")
    incidents.resolve(db=db, incident=prep_incident, actor=incidents_actor(), clock=clock)
    db.commit()
    clock.set(LIVE_MOMENT)
    _ingest(db, event, clock, am_alert("HLSPlaylistStale", instance="edge-9:443"))
    live_incident = _incidents(db)[-1]
    assert live_incident.id != prep_incident.id
    assert (live_incident.level, live_incident.phase) == (1, "live")
    assert live_incident.scenario_id == "livestream-interruption"
    assert live_incident.core_functions == ["livestream"]


def test_an_unmatched_alert_gets_the_events_default_level(
    db: Session, event: Event, clock: FrozenClock
) -> None:
    _ingest(db, event, clock, am_alert("DiskAlmostFull"))
    [incident] = _incidents(db)
    assert incident.level == plans.get_active_plan(db=db, event_id=event.id).event.default_level
    assert incident.scenario_id is None


def test_resolved_alerts_move_the_incident_to_monitoring_then_auto_resolve(
    db: Session, event: Event, clock: FrozenClock
) -> None:
    clock.set(LIVE_MOMENT)
    firing = [am_alert("LoginFailed", instance=f"web-{n}") for n in range(3)]
    _ingest(db, event, clock, *firing)
    [incident] = _incidents(db)
    assert incident.level == 3 and incident.status is IncidentStatus.triggered
    _ingest(
        db, event, clock, *[{**a, "status": "resolved", "endsAt": "2026-06-16T04:05:00Z"} for a in firing[:2]]
    )
    db.refresh(incident)
    assert incident.status is IncidentStatus.triggered and incident.firing_count == 1
    _ingest(db, event, clock, {**firing[2], "status": "resolved", "endsAt": "2026-06-16T04:06:00Z"})
    db.refresh(incident)
    assert incident.status is IncidentStatus.monitoring
    specs = {event.id: plans.get_active_plan(db=db, event_id=event.id)}
    clock.advance(timedelta(minutes=29))
    assert grouping.sweep_auto_resolve(db=db, clock=clock, specs=specs) == []
    clock.advance(timedelta(minutes=2))  # level 3's quiet period in the example plan is 30 minutes
    assert grouping.sweep_auto_resolve(db=db, clock=clock, specs=specs) == [incident.id]
    db.commit()
    db.refresh(incident)
    assert incident.status is IncidentStatus.resolved and incident.open_group_key is None


def test_auto_resolve_can_be_turned_off_per_level(db: Session, event: Event, clock: FrozenClock) -> None:
    clock.set(LIVE_MOMENT)
    alert = am_alert("PaymentErrorRate")  # level 2: auto_resolve is false in the example plan
    _ingest(db, event, clock, alert)
    _ingest(db, event, clock, {**alert, "status": "resolved", "endsAt": "2026-06-16T04:05:00Z"})
    clock.advance(timedelta(days=1))
    specs = {event.id: plans.get_active_plan(db=db, event_id=event.id)}
    assert grouping.sweep_auto_resolve(db=db, clock=clock, specs=specs) == []
    assert _incidents(db)[0].status is IncidentStatus.monitoring


def test_a_flapping_alert_reopens_the_incident_instead_of_duplicating(
    db: Session, event: Event, clock: FrozenClock
) -> None:
    alert = am_alert("PaymentErrorRate")
    _ingest(db, event, clock, alert)
    _ingest(db, event, clock, {**alert, "status": "resolved", "endsAt": "2026-05-20T01:03:00Z"})
    [incident] = _incidents(db)
    assert incident.status is IncidentStatus.monitoring
    _ingest(db, event, clock, alert)  # back while monitoring
    db.refresh(incident)
    assert incident.status is IncidentStatus.triggered
    incidents.resolve(db=db, incident=incident, actor=incidents_actor(), clock=clock)
    db.commit()
    clock.advance(timedelta(minutes=10))
    _ingest(db, event, clock, alert)  # back after being resolved, within the reopen window
    assert [i.id for i in _incidents(db)] == [incident.id]
    db.refresh(incident)
    assert incident.status is IncidentStatus.triggered
    topics = db.scalars(select(OutboxMessage.topic).order_by(OutboxMessage.id)).all()
    assert topics == ["incident.opened", "incident.resolved", "incident.reopened"]
    clock.advance(timedelta(hours=2))
    incidents.resolve(db=db, incident=incident, actor=incidents_actor(), clock=clock)
    db.commit()
    clock.advance(timedelta(hours=2))
    _ingest(db, event, clock, alert)  # long after: a new incident
    assert len(_incidents(db)) == 2


def test_a_more_severe_alert_raises_the_level_of_the_group(
    db: Session, event: Event, clock: FrozenClock
) -> None:
    _ingest(db, event, clock, am_alert("HLSPlaylistStale"))  # prep: level 3
    clock.set(LIVE_MOMENT)
    _ingest(db, event, clock, am_alert("HLSPlaylistStale", instance="edge-2:443"))  # live: level 1
    [incident] = _incidents(db)
    assert incident.level == 1
    assert "incident.releveled" in db.scalars(select(OutboxMessage.topic)).all()


def test_the_evidence_snapshot_holds_the_raw_alerts_that_opened_the_incident(
    db: Session, event: Event, clock: FrozenClock
) -> None:
    alert = am_alert("PaymentGatewayDown", instance="pay-1")
    _ingest(db, event, clock, alert)
    [incident] = _incidents(db)
    [frozen] = incident.evidence["alerts"]
    assert frozen["raw"]["fingerprint"] == alert["fingerprint"]
    assert frozen["labels"]["instance"] == "pay-1"
    assert incident.evidence["source"] == "alertmanager"


def incidents_actor() -> incidents.Actor:
    return incidents.Actor(type="user", name="ops-lead", id=None)


def test_a_storm_leaves_a_readable_timeline(db: Session, event: Event, clock: FrozenClock) -> None:
    from eventguard.incidents import timeline

    for n in range(30):
        _ingest(db, event, clock, am_alert("PaymentErrorRate", instance=f"pay-{n}"))
        clock.advance(timedelta(seconds=5))
    [incident] = _incidents(db)
    alert_entries = [e for e in timeline.entries(db=db, incident_id=incident.id) if e.kind == "alert"]
    assert len(alert_entries) == 3  # one a minute over 150 s, each with the running total
    assert alert_entries[-1].data["total"] == 25
