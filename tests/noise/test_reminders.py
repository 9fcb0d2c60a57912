"""Reminders (example plan: level 1 every 10m unacknowledged / 30m open, level 2 every 15m / 1h):
through the notification pipeline to a real local HTTP receiver (the plan's signed webhook
channel), on the current level's schedule after a re-level, stopped by an acknowledgement (the
open schedule starts from it) and by the resolve."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from eventguard.audit.service import Actor
from eventguard.clock import FrozenClock
from eventguard.db import Database
from eventguard.events.models import Event
from eventguard.incidents import service as incidents
from eventguard.noise import service as noise
from eventguard.noise import silencing
from eventguard.notify.models import DeliveryStatus
from eventguard.worker.context import WorkerContext
from tests.alerts.builders import am_alert
from tests.conftest import LIVE_MOMENT
from tests.noise.helpers import ingest, pages, sample, texts, worker_pass
from tests.notify.conftest import SECRETS
from tests.notify.receivers import HttpReceiver, standard_webhook_signature_ok

COMMANDER = Actor(type="user", name="zhang-wei", id=None)


def _reminders_received(receiver: HttpReceiver) -> list[dict[str, object]]:
    return [
        r.json()
        for r in receiver.requests
        if r.path.startswith("/sms") and r.json()["type"] == "incident.reminder"
    ]


def _reminder_timeline(db: Session, incident_id: int) -> list[str]:
    return [t for t in texts(db, incident_id, "notification") if t.startswith("reminder ")]


def _passes(database: Database, context: WorkerContext, db: Session, count: int = 2) -> None:
    for _ in range(count):
        worker_pass(database, context, db)


def test_an_unacknowledged_incident_is_reminded_on_its_current_levels_schedule_until_resolved(
    db: Session,
    database: Database,
    local_event: Event,
    clock: FrozenClock,
    worker_context: WorkerContext,
    http_receiver: HttpReceiver,
) -> None:
    clock.set(LIVE_MOMENT)
    before = sample("eventguard_noise_reminders_total", {"kind": "unacknowledged"})
    [incident_id] = ingest(db, local_event, clock, am_alert("HLSPlaylistStale"))  # level 1
    _passes(database, worker_context, db)
    assert _reminders_received(http_receiver) == []

    clock.advance(timedelta(minutes=9, seconds=59))
    _passes(database, worker_context, db)
    assert pages(db, incident_id, "incident_reminder") == []
    clock.advance(timedelta(seconds=1))  # 10 minutes unacknowledged
    _passes(database, worker_context, db)
    [received] = _reminders_received(http_receiver)
    request = next(r for r in http_receiver.requests if r.path.startswith("/sms") and r.json() == received)
    assert standard_webhook_signature_ok(request, SECRETS["EG_SMS_GATEWAY_HMAC"], clock.now())
    data = received["data"]
    assert isinstance(data, dict) and (data["incident_id"], data["level"]) == (incident_id, 1)
    lines = {d.notification["title"].split(" ")[0] for d in pages(db, incident_id, "incident_reminder")}
    assert lines <= {"Reminder:", "提醒:此事件仍未结束。"} and lines  # each in its recipient's language
    assert {d.role for d in pages(db, incident_id, "incident_reminder")} >= {
        "team:tech:lead#zhang-wei",
        "channel:sms-gateway",
    }
    assert _reminder_timeline(db, incident_id) == [
        "reminder 1 of 12 to level 1: nobody has acknowledged it (every 10m)"
    ]
    assert sample("eventguard_noise_reminders_total", {"kind": "unacknowledged"}) - before == 1
    assert noise.incident_noise(db=db, incident_id=incident_id).reminders.sent == 1

    # Re-levelled to 2 at minute 15: level 2's 15 minutes count from the change, to its people.
    clock.advance(timedelta(minutes=5))
    incident = incidents.get(db=db, incident_id=incident_id, for_update=True)
    incidents.relevel(
        db=db, incident=incident, level=2, reason="one region only", actor=COMMANDER, clock=clock
    )
    db.commit()
    clock.advance(timedelta(minutes=14))
    _passes(database, worker_context, db)
    assert len(_reminder_timeline(db, incident_id)) == 1
    clock.advance(timedelta(minutes=1))
    _passes(database, worker_context, db)
    assert _reminder_timeline(db, incident_id)[1] == (
        "reminder 2 of 8 to level 2: nobody has acknowledged it (every 15m)"
    )
    second = [
        d
        for d in pages(db, incident_id, "incident_reminder")
        if d.idempotency_key and d.failover_group and d.failover_group.startswith(f"r{incident_id}:2")
    ]
    assert second and "channel:sms-gateway" not in {d.role for d in second}  # level 2 does not text
    assert "team:tech:lead#zhang-wei" in {d.role for d in second}

    # Acknowledged: pending reminder pages are superseded; the open schedule (1h) starts from the ack.
    incident = incidents.get(db=db, incident_id=incident_id, for_update=True)
    incidents.acknowledge(db=db, incident=incident, actor=COMMANDER, clock=clock)
    db.commit()
    _passes(database, worker_context, db)
    assert all(d.status is not DeliveryStatus.pending for d in pages(db, incident_id, "incident_reminder"))
    clock.advance(timedelta(minutes=59))
    _passes(database, worker_context, db)
    assert len(_reminder_timeline(db, incident_id)) == 2
    clock.advance(timedelta(minutes=1))
    _passes(database, worker_context, db)
    assert _reminder_timeline(db, incident_id)[2] == "reminder 3 of 8 to level 2: it is still open (every 1h)"

    # Resolved: no more reminders.
    incident = incidents.get(db=db, incident_id=incident_id, for_update=True)
    incidents.resolve(db=db, incident=incident, actor=COMMANDER, clock=clock, note="fixed")
    db.commit()
    clock.advance(timedelta(hours=3))
    _passes(database, worker_context, db)
    assert len(_reminder_timeline(db, incident_id)) == 3


def test_a_held_incident_is_not_reminded(
    db: Session, database: Database, local_event: Event, clock: FrozenClock, worker_context: WorkerContext
) -> None:
    clock.set(LIVE_MOMENT)
    silencing.create_silence(
        db=db,
        event_id=local_event.id,
        matchers=[{"name": "alertname", "op": "=", "value": "HLSPlaylistStale"}],
        starts_at=None,
        ends_at=clock.now() + timedelta(hours=2),
        comment="CDN switch",
        actor=COMMANDER,
        source="api",
        clock=clock,
    )
    db.commit()
    [incident_id] = ingest(db, local_event, clock, am_alert("HLSPlaylistStale"))
    clock.advance(timedelta(minutes=45))
    _passes(database, worker_context, db)
    assert pages(db, incident_id) == [] and _reminder_timeline(db, incident_id) == []
