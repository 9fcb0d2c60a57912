"""The worker's comms reactions: a required announcement is drafted when the incident opens, comms is
reminded every N minutes until something is published, and a resolved incident gets its draft."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from eventguard.clock import FrozenClock
from eventguard.comms import reactions
from eventguard.comms.models import PublicStatus, UpdateState
from eventguard.comms.statuspage import state
from eventguard.comms.updates import approval as publishing
from eventguard.comms.updates import drafts as public
from eventguard.db import Database
from eventguard.events.models import Event
from eventguard.incidents import service as incidents
from eventguard.incidents import timeline
from eventguard.worker.context import WorkerContext
from tests.comms.conftest import TESTER, declare, deliveries, publish, run_reactions


def _reminders(db: Session, incident_id: int) -> list[int]:
    db.commit()
    entries = timeline.entries(db=db, incident_id=incident_id)
    return [e.data["reminder"] for e in entries if e.kind == "notification" and "reminder" in e.data]


def test_a_level_that_requires_an_announcement_gets_a_draft_when_the_incident_opens(
    db: Session, database: Database, event: Event, clock: FrozenClock, worker: WorkerContext
) -> None:
    required = declare(db, event, clock, level=2)
    routine = declare(db, event, clock, scenario="login-failure", level=3)  # public_announcement: none
    run_reactions(database, worker)
    db.commit()
    (draft,) = public.list_for_incident(db=db, incident_id=required.id)
    assert draft.auto and draft.required and draft.state is UpdateState.draft
    assert draft.title["en"] == "The livestream is interrupted" and draft.created_by == "eventguard"
    assert public.list_for_incident(db=db, incident_id=routine.id) == []
    run_reactions(database, worker)
    assert len(public.list_for_incident(db=db, incident_id=required.id)) == 1


def test_comms_is_reminded_every_n_minutes_until_an_update_is_published(
    db: Session, database: Database, event: Event, clock: FrozenClock, worker: WorkerContext
) -> None:
    state.update_settings(
        db=db, event_id=event.id, approval_levels=None, reminder_minutes=5, actor=TESTER, clock=clock
    )
    db.commit()
    incident = declare(db, event, clock, level=2)
    run_reactions(database, worker)
    assert _reminders(db, incident.id) == []
    clock.advance(timedelta(minutes=4))
    run_reactions(database, worker)
    assert _reminders(db, incident.id) == []
    for minute in (1, 5):
        clock.advance(timedelta(minutes=minute))
        run_reactions(database, worker)
    assert _reminders(db, incident.id) == [1, 2]
    sent = deliveries(db, "reminder")
    assert [d.recipient for d in sent] == ["zhou-ting", "zhou-ting"]  # the PR lead holds the comms role
    assert sent[0].channel_kind == "feishu" and sent[0].idempotency_key == f"rem_i{incident.id}_1"
    assert "2 级事件要求发布公告" in sent[0].notification["text"]  # in the person's language
    (draft,) = public.list_for_incident(db=db, incident_id=incident.id)
    publishing.publish(db=db, update=draft, incident=incident, actor=TESTER, clock=clock)
    db.commit()
    clock.advance(timedelta(minutes=30))
    run_reactions(database, worker)
    assert _reminders(db, incident.id) == [1, 2]


def test_reminders_stop_when_the_incident_is_resolved_and_have_a_limit(
    db: Session, database: Database, event: Event, clock: FrozenClock, worker: WorkerContext
) -> None:
    incident = declare(db, event, clock, level=2)
    run_reactions(database, worker)
    for _ in range(reactions.MAX_REMINDERS + 3):
        clock.advance(timedelta(minutes=10))
        run_reactions(database, worker)
    assert _reminders(db, incident.id) == list(range(1, reactions.MAX_REMINDERS + 1))
    other = declare(db, event, clock, level=2)
    run_reactions(database, worker)
    incidents.resolve(db=db, incident=other, actor=TESTER, clock=clock)
    db.commit()
    clock.advance(timedelta(minutes=10))
    run_reactions(database, worker)
    assert _reminders(db, other.id) == []


def test_a_resolved_incident_that_was_announced_gets_a_resolved_draft(
    db: Session, database: Database, event: Event, clock: FrozenClock, worker: WorkerContext
) -> None:
    announced = declare(db, event, clock, level=2)
    silent = declare(db, event, clock, scenario="login-failure", level=3)
    publish(db, announced, clock)
    for incident in (announced, silent):
        incidents.resolve(db=db, incident=incident, actor=TESTER, clock=clock)
    db.commit()
    run_reactions(database, worker)
    db.commit()
    updates = public.list_for_incident(db=db, incident_id=announced.id)
    assert [(u.state, u.status) for u in updates][-1] == (UpdateState.draft, PublicStatus.resolved)
    assert "has been resolved" in updates[-1].body["en"]
    assert public.list_for_incident(db=db, incident_id=silent.id) == []
