"""Incident commands: declare, transitions, re-level, roles, notes, progress, merge; outbox and history."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from eventguard.audit.models import AuditEntry
from eventguard.audit.service import Actor
from eventguard.clock import FrozenClock
from eventguard.errors import Conflict, InvalidInput
from eventguard.events.models import Event
from eventguard.incidents import merge, roles, runbook, service, timeline
from eventguard.incidents.models import Incident, IncidentRole, IncidentStatus, TaskStatus
from eventguard.outbox.models import OutboxMessage
from eventguard.plans import service as plans

OPS = Actor(type="user", name="zhao-min", id=None)


def _declare(db: Session, event: Event, clock: FrozenClock, **overrides: object) -> Incident:
    spec = plans.get_active_plan(db=db, event_id=event.id)
    fields: dict[str, object] = {
        "title": "Participants dispute the lottery result",
        "level": None,
        "scenario_id": "participant-dispute",
        "core_functions": None,
        "impact": "Complaints in the chat",
        "phase": "prep",
    }
    fields.update(overrides)
    incident = service.declare(db=db, event=event, spec=spec, actor=OPS, clock=clock, **fields)  # type: ignore[arg-type]
    db.commit()
    return incident


def _topics(db: Session, incident: Incident) -> list[str]:
    query = (
        select(OutboxMessage.topic)
        .where(OutboxMessage.aggregate_id == incident.id)
        .order_by(OutboxMessage.id)
    )
    return list(db.scalars(query))


def test_a_declared_incident_takes_the_scenarios_level_tasks_and_roles(
    db: Session, event: Event, clock: FrozenClock
) -> None:
    incident = _declare(db, event, clock)
    assert incident.level == 3 and incident.source == "manual" and incident.declared_by == "zhao-min"
    tasks = runbook.list_tasks(db=db, incident_id=incident.id)
    assert tasks and all(task.status is TaskStatus.pending for task in tasks)
    held = {r.role: r.person_id for r in roles.list_roles(db=db, incident_id=incident.id)}
    assert held[IncidentRole.commander] == "li-na"  # the event owner
    assert {IncidentRole.tech_lead, IncidentRole.ops_lead, IncidentRole.comms, IncidentRole.legal} <= set(
        held
    )
    assert _topics(db, incident) == ["incident.opened"]
    assert (
        db.scalar(select(AuditEntry.action).where(AuditEntry.target_id == str(incident.id)))
        == "incident.declare"
    )


def test_declaring_with_an_unknown_scenario_is_refused(db: Session, event: Event, clock: FrozenClock) -> None:
    with pytest.raises(InvalidInput, match="no scenario"):
        _declare(db, event, clock, scenario_id="alien-invasion")


def test_acknowledge_and_resolve_write_outbox_rows_in_the_same_transaction(
    db: Session, event: Event, clock: FrozenClock
) -> None:
    incident = _declare(db, event, clock)
    clock.advance(timedelta(minutes=2))
    service.acknowledge(db=db, incident=incident, actor=OPS, clock=clock)
    db.rollback()  # nothing committed: neither the state nor the domain event exists
    db.refresh(incident)
    assert incident.status is IncidentStatus.triggered and _topics(db, incident) == ["incident.opened"]
    service.acknowledge(db=db, incident=incident, actor=OPS, clock=clock)
    service.resolve(db=db, incident=incident, actor=OPS, clock=clock, note="fixed")
    db.commit()
    assert _topics(db, incident) == ["incident.opened", "incident.acknowledged", "incident.resolved"]
    assert incident.acknowledged_at == clock.now() and incident.open_group_key is None


def test_an_illegal_transition_changes_nothing(db: Session, event: Event, clock: FrozenClock) -> None:
    incident = _declare(db, event, clock)
    with pytest.raises(Conflict):
        service.transition(db=db, incident=incident, target=IncidentStatus.reviewed, actor=OPS, clock=clock)
    assert incident.status is IncidentStatus.triggered


def test_re_leveling_needs_a_reason_and_goes_on_the_timeline(
    db: Session, event: Event, clock: FrozenClock
) -> None:
    incident = _declare(db, event, clock)
    with pytest.raises(InvalidInput):
        service.relevel(db=db, incident=incident, level=1, reason="  ", actor=OPS, clock=clock)
    service.relevel(
        db=db, incident=incident, level=1, reason="trending on social media", actor=OPS, clock=clock
    )
    db.commit()
    entry, paused = timeline.entries(db=db, incident_id=incident.id)[-2:]
    assert (entry.kind, entry.text, entry.data) == ("level", "trending on social media", {"from": 3, "to": 1})
    assert paused.kind == "pause" and paused.data["automatic"] is True  # level 1 pauses the event
    assert _topics(db, incident)[-2:] == ["incident.releveled", "incident.paused"]


def test_a_role_goes_to_a_person_of_the_plan_with_their_team(
    db: Session, event: Event, clock: FrozenClock
) -> None:
    incident = _declare(db, event, clock)
    spec = plans.get_active_plan(db=db, event_id=event.id)
    with pytest.raises(InvalidInput):
        roles.assign(
            db=db,
            incident=incident,
            spec=spec,
            role=IncidentRole.scribe,
            person_id="nobody",
            actor=OPS,
            clock=clock,
        )
    assignment = roles.assign(
        db=db,
        incident=incident,
        spec=spec,
        role=IncidentRole.scribe,
        person_id="zhao-min",
        actor=OPS,
        clock=clock,
    )
    db.commit()
    assert assignment.team_id is not None
    assert timeline.entries(db=db, incident_id=incident.id)[-1].kind == "role"


def test_progress_updates_keep_the_newest_eta(db: Session, event: Event, clock: FrozenClock) -> None:
    incident = _declare(db, event, clock)
    eta = clock.now() + timedelta(minutes=20)
    service.add_progress(
        db=db, incident=incident, text="Backup stream ready", eta=eta, team="tech", actor=OPS, clock=clock
    )
    db.commit()
    assert incident.eta == eta
    assert timeline.entries(db=db, incident_id=incident.id)[-1].data["eta"] == eta.isoformat()


def test_tasks_can_be_started_done_and_skipped_with_a_reason(
    db: Session, event: Event, clock: FrozenClock
) -> None:
    incident = _declare(db, event, clock)
    first, second, *_ = runbook.list_tasks(db=db, incident_id=incident.id)
    runbook.change_task(db=db, incident=incident, task_id=first.id, action="start", actor=OPS, clock=clock)
    runbook.change_task(db=db, incident=incident, task_id=first.id, action="done", actor=OPS, clock=clock)
    with pytest.raises(InvalidInput):
        runbook.change_task(
            db=db, incident=incident, task_id=second.id, action="skip", actor=OPS, clock=clock
        )
    runbook.change_task(
        db=db,
        incident=incident,
        task_id=second.id,
        action="skip",
        actor=OPS,
        clock=clock,
        reason="not needed",
    )
    with pytest.raises(Conflict):
        runbook.change_task(
            db=db, incident=incident, task_id=first.id, action="start", actor=OPS, clock=clock
        )
    db.commit()
    assert (first.status, second.status, second.skip_reason) == (
        TaskStatus.done,
        TaskStatus.skipped,
        "not needed",
    )


def test_merging_folds_one_incident_into_another(db: Session, event: Event, clock: FrozenClock) -> None:
    target = _declare(db, event, clock, title="Payment failures", scenario_id="payment-failure")
    source = _declare(db, event, clock, title="Checkout errors", scenario_id="payment-failure", level=1)
    merge.merge(db=db, source=source, target=target, actor=OPS, clock=clock)
    db.commit()
    assert source.merged_into_id == target.id and source.status is IncidentStatus.resolved
    assert target.level == 1  # the more severe level wins
    with pytest.raises(Conflict):
        merge.merge(db=db, source=target, target=target, actor=OPS, clock=clock)


def test_the_timeline_and_the_evidence_cannot_be_rewritten(
    db: Session, event: Event, clock: FrozenClock
) -> None:
    incident = _declare(db, event, clock)
    entry = timeline.entries(db=db, incident_id=incident.id)[0]
    entry.text = "rewritten"
    with pytest.raises(Conflict):
        db.flush()
    db.rollback()
    incident = db.get(Incident, incident.id)  # type: ignore[assignment]
    assert incident is not None
    incident.evidence = {"forged": True}
    with pytest.raises(Conflict):
        db.flush()
    db.rollback()


def test_notes_progress_and_task_changes_are_audited(db: Session, event: Event, clock: FrozenClock) -> None:
    incident = _declare(db, event, clock)
    service.add_note(db=db, incident=incident, text="check CDN", actor=OPS, clock=clock)
    service.add_progress(
        db=db, incident=incident, text="half done", eta=None, team="tech", actor=OPS, clock=clock
    )
    task = runbook.list_tasks(db=db, incident_id=incident.id)[0]
    runbook.change_task(db=db, incident=incident, task_id=task.id, action="done", actor=OPS, clock=clock)
    db.commit()
    actions = set(db.scalars(select(AuditEntry.action).where(AuditEntry.target_id == str(incident.id))))
    assert {"incident.note", "incident.progress", "incident.task.done"} <= actions
