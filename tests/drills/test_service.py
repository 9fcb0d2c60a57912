"""Drill runs end to end on a controlled clock: injected through the intake journal, scored against
the plan's targets, tabletop answers recorded."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from eventguard.alerts.journal.process import process_pending
from eventguard.audit.service import Actor
from eventguard.clock import FrozenClock
from eventguard.config import Settings
from eventguard.db import Database
from eventguard.domains import hook_functions
from eventguard.drills import scoring, service
from eventguard.drills import worker as drill_worker
from eventguard.drills.models import DrillStatus
from eventguard.errors import Conflict, InvalidInput
from eventguard.events.models import Event
from eventguard.incidents import runbook
from eventguard.incidents import service as incidents
from eventguard.incidents.models import Incident
from eventguard.outbox.models import OutboxMessage
from eventguard.plans import service as plans
from eventguard.worker.context import WorkerContext

ACTOR = Actor.cli("facilitator")


def _inject_and_process(database: Database, clock: FrozenClock, settings: Settings) -> None:
    drill_worker.inject_due(database=database, context=WorkerContext(clock=clock, settings=settings))
    process_pending(database=database, clock=clock)


def _start_live(db: Session, event: Event, clock: FrozenClock) -> int:
    run = service.start(db=db, event=event, drill_id="stream-outage-drill", actor=ACTOR, clock=clock)
    db.commit()
    return run.id


def _drill_incident(db: Session, run_id: int) -> Incident:
    db.commit()  # a new snapshot: see what the worker committed
    found = service.run_incidents(db=db, run=service.get(db=db, run_id=run_id))
    assert found, "the injection opened no incident"
    return found[0]


def test_a_live_drill_goes_through_the_journal_and_opens_incidents_marked_as_drills(
    db: Session, database: Database, event: Event, clock: FrozenClock, settings: Settings
) -> None:
    run_id = _start_live(db, event, clock)
    _inject_and_process(database, clock, settings)
    db.commit()  # a new snapshot: see what the worker committed
    injected = [i for i in service.injections(db=db, run_id=run_id) if i.injected_at is not None]
    assert [i.position for i in injected] == [1]  # only the step at 0s is due
    incident = _drill_incident(db, run_id)
    assert incident.is_drill and incident.source == "drill"
    assert incident.scenario_id == "livestream-interruption"  # classified by the plan's rules
    assert incident.group_key.startswith(f"eventguard_drill={run_id}|")
    opened = db.scalars(select(OutboxMessage).where(OutboxMessage.topic == "incident.opened")).all()
    assert opened and all(message.is_drill for message in opened), [
        (m.topic, m.is_drill, m.payload) for m in opened
    ]  # notify marks its messages [DRILL]

    clock.advance(timedelta(minutes=5))
    _inject_and_process(database, clock, settings)
    db.commit()  # a new snapshot: see what the worker committed
    assert all(i.injected_at is not None for i in service.injections(db=db, run_id=run_id))
    titles = {i.title for i in service.run_incidents(db=db, run=service.get(db=db, run_id=run_id))}
    assert {
        "Stream bitrate low on the main ingest",
        "Participants report: the livestream is frozen",
    } <= titles
    _inject_and_process(database, clock, settings)  # nothing is injected twice
    db.commit()  # a new snapshot: see what the worker committed
    assert len(service.run_incidents(db=db, run=service.get(db=db, run_id=run_id))) == len(titles)


def test_a_real_alert_with_the_same_name_does_not_join_the_drill_incident(
    db: Session, database: Database, event: Event, clock: FrozenClock, settings: Settings
) -> None:
    from eventguard.alerts import service as alerts
    from eventguard.alerts.formats.generic import GenericFormat

    run_id = _start_live(db, event, clock)
    _inject_and_process(database, clock, settings)
    batch = GenericFormat().parse(
        {"title": "stale", "labels": {"alertname": "HLSPlaylistStale", "stream": "main"}},
        received_at=clock.now(),
    )
    result = alerts.ingest(db=db, event=event, batch=batch, source="generic", clock=clock)
    db.commit()
    real = db.get_one(Incident, result.incident_ids[0])
    assert not real.is_drill and real.id != _drill_incident(db, run_id).id


def _finish(db: Session, run_id: int, clock: FrozenClock) -> scoring.Scorecard:
    run = service.finish(db=db, run=service.get(db=db, run_id=run_id), notes=None, actor=ACTOR, clock=clock)
    db.commit()
    return scoring.Scorecard.from_dict(run.scorecard)


def _points(card: scoring.Scorecard, key: str) -> int:
    return next(c.points for c in card.criteria if c.key == key)


@pytest.mark.parametrize(("ack_after", "expected"), [(timedelta(minutes=2), 100), (timedelta(minutes=8), 40)])
def test_the_score_falls_when_the_acknowledgement_is_late(
    db: Session,
    database: Database,
    event: Event,
    clock: FrozenClock,
    settings: Settings,
    ack_after: timedelta,
    expected: int,
) -> None:
    run_id = _start_live(db, event, clock)
    _inject_and_process(database, clock, settings)
    incident = _drill_incident(db, run_id)
    clock.advance(ack_after)
    incidents.acknowledge(db=db, incident=incident, actor=ACTOR, clock=clock)
    db.commit()
    card = _finish(db, run_id, clock)
    # target 5m: 8m is 3m late = 60% of the target late -> 40 points
    assert _points(card, "acknowledge") == expected
    assert card.incident_id == incident.id
    db.commit()  # a new snapshot: see what the worker committed
    run = service.get(db=db, run_id=run_id)
    assert run.status is DrillStatus.finished and run.score == card.score
    assert not _drill_incident(db, run_id).is_open  # finishing resolves the drill incidents


def test_tasks_done_out_of_restore_order_lose_the_runbook_points(
    db: Session, database: Database, event: Event, clock: FrozenClock, settings: Settings
) -> None:
    def run_with(order: list[int]) -> scoring.Scorecard:
        run_id = _start_live(db, event, clock)
        _inject_and_process(database, clock, settings)
        incident = _drill_incident(db, run_id)
        tasks = runbook.list_tasks(db=db, incident_id=incident.id)
        for index in order:
            clock.advance(timedelta(minutes=1))
            runbook.change_task(
                db=db, incident=incident, task_id=tasks[index].id, action="done", actor=ACTOR, clock=clock
            )
        db.commit()
        return _finish(db, run_id, clock)

    in_order = run_with([0, 1])
    out_of_order = run_with([1, 0])
    tasks = next(c for c in in_order.criteria if c.key == "runbook").detail["tasks"]
    assert _points(in_order, "runbook") == round(100 * 2 / tasks)
    assert _points(out_of_order, "runbook") == round(100 * 1 / tasks)  # the first task came second
    unordered = next(c for c in out_of_order.criteria if c.key == "runbook").detail["out_of_order"]
    assert len(unordered) == 1
    assert out_of_order.score < in_order.score


def test_a_tabletop_drill_records_answers_and_scores_their_ratings(
    db: Session, event: Event, clock: FrozenClock
) -> None:
    spec = plans.get_active_plan(db=db, event_id=event.id)
    run = service.start(db=db, event=event, drill_id="data-leak-tabletop", actor=ACTOR, clock=clock)
    assert service.injections(db=db, run_id=run.id) == []  # a tabletop run injects nothing
    service.record_answer(
        db=db,
        run=run,
        spec=spec,
        position=1,
        answer="Contain, tell legal",
        rating=2,
        team="tech",
        actor=ACTOR,
        clock=clock,
    )
    service.record_answer(
        db=db,
        run=run,
        spec=spec,
        position=2,
        answer="Within a day",
        rating=0,
        team="legal",
        actor=ACTOR,
        clock=clock,
    )
    service.record_answer(
        db=db,
        run=run,
        spec=spec,
        position=2,
        answer="Within 4 hours",
        rating=1,
        team="legal",
        actor=ACTOR,
        clock=clock,
    )
    with pytest.raises(InvalidInput):
        service.record_answer(
            db=db, run=run, spec=spec, position=9, answer="x", rating=1, team=None, actor=ACTOR, clock=clock
        )
    db.commit()
    assert [(a.position, a.answer) for a in service.answers(db=db, run_id=run.id)] == [
        (1, "Contain, tell legal"),
        (2, "Within 4 hours"),
    ]
    card = _finish(db, run.id, clock)
    assert [c.points for c in card.criteria] == [100, 50, 0]  # the third question was not answered
    assert card.score == 50 and not card.passed
    assert card.teams == {"legal": 50, "tech": 100}
    with pytest.raises(Conflict):
        service.record_answer(
            db=db,
            run=run,
            spec=spec,
            position=3,
            answer="late",
            rating=2,
            team=None,
            actor=ACTOR,
            clock=clock,
        )


def test_scenario_last_drilled_answers_when_a_finished_run_started(
    db: Session, event: Event, clock: FrozenClock
) -> None:
    (hook,) = hook_functions("scenario_last_drilled")
    assert hook(db, event_id=event.id, scenario_id="data-leak") is None
    run = service.start(db=db, event=event, drill_id="data-leak-tabletop", actor=ACTOR, clock=clock)
    started = clock.now()
    assert hook(db, event_id=event.id, scenario_id="data-leak") is None  # running is not drilled yet
    clock.advance(timedelta(minutes=30))
    service.finish(db=db, run=run, notes="ok", actor=ACTOR, clock=clock)
    db.commit()
    assert hook(db, event_id=event.id, scenario_id="data-leak") == started
    assert hook(db, event_id=event.id, scenario_id="payment-failure") is None


def test_a_drill_cannot_run_twice_at_once(db: Session, event: Event, clock: FrozenClock) -> None:
    service.start(db=db, event=event, drill_id="data-leak-tabletop", actor=ACTOR, clock=clock)
    with pytest.raises(Conflict):
        service.start(db=db, event=event, drill_id="data-leak-tabletop", actor=ACTOR, clock=clock)


def test_the_readiness_gate_asks_for_a_passed_run_of_every_drill(
    db: Session, event: Event, clock: FrozenClock
) -> None:
    [hook] = [f for f in hook_functions("readiness_checks") if f.__module__.startswith("eventguard.drills")]
    items = {item["key"]: item for item in hook(db, event_id=event.id, now=clock.now())}
    assert set(items) == {"drills.stream-outage-drill", "drills.data-leak-tabletop"}
    assert not items["drills.data-leak-tabletop"]["ok"]
    spec = plans.get_active_plan(db=db, event_id=event.id)
    run = service.start(db=db, event=event, drill_id="data-leak-tabletop", actor=ACTOR, clock=clock)
    for position in (1, 2, 3):
        service.record_answer(
            db=db,
            run=run,
            spec=spec,
            position=position,
            answer="ok",
            rating=2,
            team=None,
            actor=ACTOR,
            clock=clock,
        )
    service.finish(db=db, run=run, notes=None, actor=ACTOR, clock=clock)
    db.commit()
    items = {item["key"]: item for item in hook(db, event_id=event.id, now=clock.now())}
    assert items["drills.data-leak-tabletop"]["ok"] and not items["drills.stream-outage-drill"]["ok"]
    assert items["drills.data-leak-tabletop"]["detail"].render("en") == f"Last run {run.id}: score 100."
