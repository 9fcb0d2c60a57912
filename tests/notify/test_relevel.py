"""Re-levelling (issue 12): the new level's notify-within clock starts at the re-level, roles already
reached count as met, no false breach is flagged or counted, and the escalation timers, reminders
and approvals follow the current level — through the real worker passes, HTTP and SMTP."""

from __future__ import annotations

from datetime import timedelta

from prometheus_client import REGISTRY
from sqlalchemy import select
from sqlalchemy.orm import Session

from eventguard.audit.service import Actor
from eventguard.clock import FrozenClock
from eventguard.db import Database
from eventguard.events.models import Event
from eventguard.incidents import service as incidents
from eventguard.incidents.models import Incident
from eventguard.notify import service as notify
from eventguard.notify.models import Delivery, EscalationStep, NotificationSla
from eventguard.outbox.models import OutboxMessage
from eventguard.plans import service as plans
from eventguard.worker.context import WorkerContext
from eventguard.worker.loop import run_once
from tests.notify.conftest import vendor_ok
from tests.notify.receivers import HttpReceiver, Reply, SmtpReceiver

COMMANDER = Actor(type="user", name="li-na", id=None)


def _breaches() -> float:
    return REGISTRY.get_sample_value("eventguard_notification_sla_breaches_total") or 0.0


def _declare(db: Session, event: Event, clock: FrozenClock, level: int) -> Incident:
    spec = plans.get_active_plan(db=db, event_id=event.id)
    incident = incidents.declare(
        db=db,
        event=event,
        spec=spec,
        title="HLS playlist stale",
        level=level,
        scenario_id="livestream-interruption",
        core_functions=None,
        impact="All viewers",
        phase="live",
        actor=COMMANDER,
        clock=clock,
    )
    db.commit()
    return incident


def _pass(database: Database, context: WorkerContext, db: Session) -> None:
    run_once(database=database, context=context)
    db.commit()


def _relevel(db: Session, incident_id: int, level: int, clock: FrozenClock) -> None:
    incident = incidents.get(db=db, incident_id=incident_id, for_update=True)
    incidents.relevel(
        db=db, incident=incident, level=level, reason="live phase", actor=COMMANDER, clock=clock
    )
    db.commit()


def test_a_relevel_from_three_to_one_starts_the_new_clock_and_counts_reached_roles_as_met(
    db: Session,
    database: Database,
    local_event: Event,
    clock: FrozenClock,
    worker_context: WorkerContext,
    http_receiver: HttpReceiver,
    smtp_receiver: SmtpReceiver,
) -> None:
    incident = _declare(db, local_event, clock, level=3)
    _pass(database, worker_context, db)
    level_three = list(db.scalars(select(NotificationSla).order_by(NotificationSla.id)))
    assert level_three and all(row.met for row in level_three)
    reached_before = {row.target: row.first_delivered_at for row in level_three}

    clock.advance(timedelta(minutes=12))  # well past level 3's notify_within
    relevelled_at = clock.now()
    _relevel(db, incident.id, 1, clock)
    before = _breaches()
    # The first pass after the re-level cannot reach anybody: every robot and the mail server fail.
    http_receiver.answer_with(lambda request: Reply(502, b"down"))
    smtp_receiver.reject_data_with = "451 4.3.0 try again later"
    _pass(database, worker_context, db)
    clock.advance(timedelta(seconds=40))
    http_receiver.answer_with(vendor_ok)
    smtp_receiver.reject_data_with = None
    for _ in range(4):
        _pass(database, worker_context, db)
        clock.advance(timedelta(seconds=30))

    level_one = [row for row in db.scalars(select(NotificationSla)) if row.level == 1]
    assert len(level_one) >= 7  # organizer, tech, ops, PR and legal leads, the WeCom group, the gateway
    assert {row.target for row in level_one} & set(reached_before)  # tech on call, the WeCom group
    assert {"channel:legal-email", "channel:sms-gateway"} <= {row.target for row in level_one}
    for row in level_one:
        assert row.started_at == relevelled_at
        assert row.deadline == relevelled_at + timedelta(minutes=5)
        assert row.met is True and row.breached_at is None, row.target
        if row.target in reached_before:  # reached at level 3: met at once, when it was reached
            assert row.first_delivered_at == reached_before[row.target]
    assert _breaches() == before
    current = notify.sla_rows(db=db, incident_id=incident.id, current_only=True)
    assert {row.id for row in current} == {row.id for row in level_one}


def test_a_relevel_to_level_one_escalates_by_the_level_one_policy_not_the_old_one(
    db: Session,
    database: Database,
    local_event: Event,
    clock: FrozenClock,
    worker_context: WorkerContext,
) -> None:
    incident = _declare(db, local_event, clock, level=3)
    _pass(database, worker_context, db)
    [old] = db.scalars(select(EscalationStep)).all()
    assert old.policy_id == "level-3"
    clock.advance(timedelta(minutes=2))
    relevelled_at = clock.now()
    _relevel(db, incident.id, 1, clock)
    _pass(database, worker_context, db)
    db.refresh(old)
    assert old.cancelled_at is not None and old.fired_at is None
    steps = db.scalars(select(EscalationStep).order_by(EscalationStep.due_at))
    pending = [s for s in steps if s.cancelled_at is None]
    assert {s.policy_id for s in pending} == {"level-1"}
    assert pending[0].due_at == relevelled_at + timedelta(minutes=5)
    clock.advance(timedelta(minutes=5))
    _pass(database, worker_context, db)
    db.refresh(pending[0])
    assert pending[0].fired_at is not None
    paged = db.scalars(select(Delivery).where(Delivery.purpose == "escalation")).all()
    assert paged and any(d.channel_id == "sms-gateway" for d in paged)  # level 1's first step


def test_a_relevel_to_a_level_without_an_announcement_stops_the_reminders(
    db: Session,
    database: Database,
    local_event: Event,
    clock: FrozenClock,
    worker_context: WorkerContext,
) -> None:
    incident = _declare(db, local_event, clock, level=2)  # level 2 requires an announcement
    _pass(database, worker_context, db)
    _relevel(db, incident.id, 3, clock)
    for _ in range(3):
        clock.advance(timedelta(minutes=11))
        _pass(database, worker_context, db)
    reminders = db.scalars(select(Delivery).where(Delivery.purpose == "reminder")).all()
    assert reminders == []
    assert db.scalars(
        select(OutboxMessage).where(OutboxMessage.topic == "comms.draft_reminder")
    ).all()  # one was due; it found nothing to chase


def test_a_quick_relevel_does_not_tell_the_same_roles_twice(
    db: Session,
    database: Database,
    local_event: Event,
    clock: FrozenClock,
    worker_context: WorkerContext,
) -> None:
    incident = _declare(db, local_event, clock, level=3)
    _relevel(db, incident.id, 1, clock)  # before the worker saw the opening
    _pass(database, worker_context, db)
    rows = list(db.scalars(select(NotificationSla)))
    targets = [row.target for row in rows]
    assert len(targets) == len(set(targets)) and all(row.level == 1 for row in rows)


def test_publishing_after_a_relevel_to_level_one_needs_the_second_commander(
    db: Session, local_event: Event, clock: FrozenClock
) -> None:
    from eventguard.comms.models import UpdateState
    from eventguard.comms.updates import approval, drafts

    incident = _declare(db, local_event, clock, level=3)
    spec = plans.get_active_plan(db=db, event_id=local_event.id)
    first = Actor(type="user", name="li-na", id=101)
    draft = drafts.create_draft(
        db=db,
        incident=incident,
        spec=spec,
        draft=drafts.DraftInput(),
        base_url="http://eg.test",
        actor=first,
        clock=clock,
    )
    db.commit()
    _relevel(db, incident.id, 1, clock)
    incident = incidents.get(db=db, incident_id=incident.id, for_update=True)
    asked = approval.publish(db=db, update=draft, incident=incident, actor=first, clock=clock)
    assert asked.state is UpdateState.pending_approval  # level 1 now: a second commander approves
    second = Actor(type="user", name="zhang-wei", id=102)
    done = approval.publish(db=db, update=draft, incident=incident, actor=second, clock=clock)
    assert done.state is UpdateState.published and done.approved_by == "zhang-wei"
