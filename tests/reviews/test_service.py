"""Postmortems pre-filled from a real incident's timeline; versions; approval; action items that
become plan versions whose diff shows the change."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.orm import Session

from eventguard.audit.service import Actor
from eventguard.clock import FrozenClock
from eventguard.config import Settings
from eventguard.db import Database
from eventguard.errors import Conflict, InvalidInput
from eventguard.events.models import Event
from eventguard.incidents import service as incidents
from eventguard.incidents.models import Incident, IncidentStatus
from eventguard.plans import service as plans
from eventguard.reviews import service
from eventguard.reviews.models import ActionItemStatus, PostmortemStatus
from eventguard.worker.context import WorkerContext
from eventguard.worker.dispatch import dispatch_pending

ACTOR = Actor.cli("wang-qiang")


def _incident(db: Session, event: Event, clock: FrozenClock, level: int) -> Incident:
    spec = plans.get_active_plan(db=db, event_id=event.id)
    incident = incidents.declare(
        db=db,
        event=event,
        spec=spec,
        title="Payment gateway down",
        level=level,
        scenario_id="payment-failure",
        core_functions=None,
        impact="Ticket sales stopped",
        phase="prep",
        actor=ACTOR,
        clock=clock,
    )
    clock.advance(timedelta(minutes=3))
    incidents.acknowledge(db=db, incident=incident, actor=Actor.cli("zhang-wei"), clock=clock)
    clock.advance(timedelta(minutes=4))
    incidents.add_progress(
        db=db,
        incident=incident,
        text="Switched to the backup gateway",
        eta=None,
        team="tech",
        actor=ACTOR,
        clock=clock,
    )
    clock.advance(timedelta(minutes=20))
    incidents.resolve(
        db=db, incident=incident, actor=ACTOR, clock=clock, note="Gateway vendor fixed the certificate"
    )
    db.commit()
    return incident


def test_a_resolved_level_2_incident_gets_a_postmortem_pre_filled_from_its_timeline(
    db: Session, database: Database, event: Event, clock: FrozenClock, settings: Settings
) -> None:
    incident = _incident(db, event, clock, level=2)
    dispatch_pending(
        database=database,
        context=WorkerContext(clock=clock, settings=settings.model_copy(update={"default_language": "en"})),
    )
    db.commit()
    postmortem = service.for_incident(db=db, incident_id=incident.id)
    assert postmortem is not None and postmortem.status is PostmortemStatus.draft
    sections, facts = postmortem.document["sections"], postmortem.document["facts"]
    assert facts["duration_minutes"] == 27 and facts["time_to_acknowledge_minutes"] == 3
    assert "acknowledged after 3 min by zhang-wei" in sections["detection"]
    assert sections["response"] == "- Switched to the backup gateway"
    assert "Gateway vendor fixed the certificate" in sections["resolution"]
    assert "Ticket sales stopped" in sections["impact"] and "payment" in sections["impact"]
    assert [entry["kind"] for entry in postmortem.timeline][:2] == ["status", "status"]
    assert postmortem.due_at == clock.now() + timedelta(days=5)  # the example plan: level 2 in 5 days


def test_a_level_3_incident_gets_none(
    db: Session, database: Database, event: Event, clock: FrozenClock, settings: Settings
) -> None:
    incident = _incident(db, event, clock, level=3)
    dispatch_pending(database=database, context=WorkerContext(clock=clock, settings=settings))
    db.commit()
    assert service.for_incident(db=db, incident_id=incident.id) is None


def test_edits_are_versions_and_the_commander_approves(db: Session, event: Event, clock: FrozenClock) -> None:
    incident = _incident(db, event, clock, level=1)
    postmortem = service.create_for_incident(db=db, incident=incident, actor=ACTOR, clock=clock)
    service.edit(
        db=db,
        postmortem=postmortem,
        sections={"root_causes": "An expired TLS certificate"},
        participants_affected=1200,
        actor=ACTOR,
        clock=clock,
    )
    with pytest.raises(InvalidInput):
        service.edit(
            db=db,
            postmortem=postmortem,
            sections={"nope": "x"},
            participants_affected=None,
            actor=ACTOR,
            clock=clock,
        )
    assert [v.number for v in service.versions(db=db, postmortem_id=postmortem.id)] == [1, 2]
    with pytest.raises(Conflict):
        service.approve(db=db, postmortem=postmortem, actor=ACTOR, clock=clock)
    service.submit(db=db, postmortem=postmortem, actor=ACTOR, clock=clock)
    service.approve(db=db, postmortem=postmortem, actor=Actor.cli("li-na"), clock=clock)
    db.commit()
    assert (
        postmortem.status is PostmortemStatus.approved
        and postmortem.document["facts"]["participants_affected"] == 1200
    )
    assert db.get_one(Incident, incident.id).status is IncidentStatus.reviewed
    with pytest.raises(Conflict):
        service.edit(
            db=db,
            postmortem=postmortem,
            sections={"lessons": "x"},
            participants_affected=None,
            actor=ACTOR,
            clock=clock,
        )


def test_an_action_item_becomes_a_plan_version_whose_diff_shows_the_change(
    db: Session, event: Event, clock: FrozenClock, example_source: str
) -> None:
    incident = _incident(db, event, clock, level=2)
    postmortem = service.create_for_incident(db=db, incident=incident, actor=ACTOR, clock=clock)
    item = service.add_item(
        db=db,
        postmortem=postmortem,
        title="Page the payment vendor at level 2",
        owner_team="tech",
        due_at=clock.now() + timedelta(days=7),
        actor=ACTOR,
        clock=clock,
    )
    with pytest.raises(InvalidInput):
        service.add_item(
            db=db,
            postmortem=postmortem,
            title="x",
            owner_team="nope",
            due_at=clock.now(),
            actor=ACTOR,
            clock=clock,
        )
    changed = example_source.replace("    notify_within: 5m\n", "    notify_within: 3m\n", 1)
    assert changed != example_source
    with pytest.raises(Conflict):
        service.accept_plan_change(db=db, item=item, actor=ACTOR, clock=clock)
    service.propose_plan_change(db=db, item=item, source=changed, actor=ACTOR, clock=clock)
    service.accept_plan_change(db=db, item=item, actor=Actor.cli("li-na"), clock=clock)
    db.commit()
    assert (item.base_version_number, item.plan_version_number) == (1, 2)
    version = plans.get_version(db=db, slug=event.slug, number=2)
    assert version.comment == f"action item #{item.id} of incident #{incident.id}"
    diff = plans.diff_versions(db=db, slug=event.slug, a=1, b=2)
    paths = [change.path for change in diff.changes]
    assert any("notify_within" in path for path in paths), paths
    assert [i.id for i in service.revisions(db=db, event_id=event.id)] == [item.id]
    service.set_item_status(db=db, item=item, status=ActionItemStatus.done, actor=ACTOR, clock=clock)
    assert item.closed_at == clock.now()
    with pytest.raises(InvalidInput):
        service.propose_plan_change(
            db=db,
            item=service.add_item(
                db=db,
                postmortem=postmortem,
                title="y",
                owner_team="ops",
                due_at=clock.now(),
                actor=ACTOR,
                clock=clock,
            ),
            source="format_version: 1\n",
            actor=ACTOR,
            clock=clock,
        )


def test_overdue_items_are_the_open_ones_past_their_date(
    db: Session, event: Event, clock: FrozenClock
) -> None:
    incident = _incident(db, event, clock, level=2)
    postmortem = service.create_for_incident(db=db, incident=incident, actor=ACTOR, clock=clock)
    late = service.add_item(
        db=db,
        postmortem=postmortem,
        title="a",
        owner_team="ops",
        due_at=clock.now() + timedelta(days=1),
        actor=ACTOR,
        clock=clock,
    )
    service.add_item(
        db=db,
        postmortem=postmortem,
        title="b",
        owner_team="ops",
        due_at=clock.now() + timedelta(days=9),
        actor=ACTOR,
        clock=clock,
    )
    done = service.add_item(
        db=db,
        postmortem=postmortem,
        title="c",
        owner_team="ops",
        due_at=clock.now(),
        actor=ACTOR,
        clock=clock,
    )
    service.set_item_status(db=db, item=done, status=ActionItemStatus.done, actor=ACTOR, clock=clock)
    assert [i.id for i in service.overdue(db=db, event_id=event.id, now=clock.now() + timedelta(days=2))] == [
        late.id
    ]
