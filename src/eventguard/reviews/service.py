"""Postmortems and action items: created when a level 1 or 2 incident (or a drill's) is resolved,
pre-filled from its timeline, edited in versions, reviewed and approved by a commander; action items
that propose a plan change become plan versions linked back to them.

Keyword-only, take the session, flush only: the caller commits."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from eventguard.audit import service as audit
from eventguard.audit.service import Actor
from eventguard.auth.models import Role
from eventguard.clock import Clock
from eventguard.errors import Conflict, InvalidInput, NotFound
from eventguard.events import service as events
from eventguard.i18n import Message
from eventguard.incidents import service as incidents
from eventguard.incidents import timeline
from eventguard.incidents.models import Incident, IncidentStatus
from eventguard.plans import service as plans
from eventguard.plans.issues import PlanInvalid
from eventguard.reviews import prefill
from eventguard.reviews.models import (
    ActionItem,
    ActionItemStatus,
    Postmortem,
    PostmortemStatus,
    PostmortemVersion,
)

P = PostmortemStatus
SYSTEM = Actor(type="system", name="eventguard")


def view(postmortem: Postmortem) -> dict[str, Any]:
    return {
        "id": postmortem.id,
        "incident_id": postmortem.incident_id,
        "status": postmortem.status.value,
        "version": postmortem.version,
    }


def item_view(item: ActionItem) -> dict[str, Any]:
    return {
        "id": item.id,
        "title": item.title,
        "owner_team": item.owner_team,
        "due_at": item.due_at.isoformat(),
        "status": item.status.value,
        "plan_version_number": item.plan_version_number,
    }


def get(*, db: Session, postmortem_id: int, for_update: bool = False) -> Postmortem:
    found = db.get(Postmortem, postmortem_id, with_for_update=for_update or None)
    if found is None:
        raise NotFound(Message("No postmortem {id}.", {"id": postmortem_id}), code="postmortem_not_found")
    return found


def for_incident(*, db: Session, incident_id: int) -> Postmortem | None:
    return db.scalar(select(Postmortem).where(Postmortem.incident_id == incident_id))


def list_postmortems(*, db: Session, event_id: int | None = None, limit: int = 200) -> Sequence[Postmortem]:
    """Newest first."""
    query = select(Postmortem)
    if event_id is not None:
        query = query.where(Postmortem.event_id == event_id)
    return db.scalars(query.order_by(Postmortem.created_at.desc(), Postmortem.id.desc()).limit(limit)).all()


def versions(*, db: Session, postmortem_id: int) -> Sequence[PostmortemVersion]:
    query = select(PostmortemVersion).where(PostmortemVersion.postmortem_id == postmortem_id)
    return db.scalars(query.order_by(PostmortemVersion.number)).all()


def needs_postmortem(incident: Incident, *, levels: Sequence[int], drills: bool) -> bool:
    return incident.level in levels or (drills and incident.is_drill)


def create_for_incident(
    *, db: Session, incident: Incident, actor: Actor, clock: Clock, language: str = "zh-CN"
) -> Postmortem:
    """The incident's postmortem, pre-filled from its timeline (the existing one if there is one);
    due the plan's number of days for its level after now."""
    existing = for_incident(db=db, incident_id=incident.id)
    if existing is not None:
        return existing
    spec = plans.get_active_plan(db=db, event_id=incident.event_id)
    entries = timeline.entries(db=db, incident_id=incident.id)
    now = clock.now()
    document = prefill.document(incident, entries, spec, language)
    postmortem = Postmortem(
        event_id=incident.event_id,
        incident_id=incident.id,
        is_drill=incident.is_drill,
        status=P.draft,
        version=1,
        title=incident.title[:300],
        document=document,
        timeline=prefill.frozen_timeline(entries),
        due_at=now + timedelta(days=spec.postmortems.due_after(incident.level)),
        created_at=now,
        updated_at=now,
        updated_by=actor.name,
    )
    audit.added(
        postmortem,
        db=db,
        actor=actor,
        action="postmortem.create",
        target_type="postmortem",
        clock=clock,
        view=view,
    )
    db.add(
        PostmortemVersion(
            postmortem_id=postmortem.id, number=1, document=document, edited_at=now, edited_by=actor.name
        )
    )
    db.flush()
    return postmortem


def edit(
    *,
    db: Session,
    postmortem: Postmortem,
    sections: dict[str, str],
    participants_affected: int | None,
    actor: Actor,
    clock: Clock,
) -> Postmortem:
    """Change sections (unknown ones are refused): a new version of the document."""
    if postmortem.status is P.approved:
        raise Conflict(Message("An approved postmortem cannot be changed."), code="postmortem_approved")
    unknown = sorted(set(sections) - set(prefill.SECTIONS))
    if unknown:
        raise InvalidInput(
            Message("Unknown postmortem section {sections}.", {"sections": ", ".join(unknown)}),
            code="unknown_section",
            details={"known": list(prefill.SECTIONS)},
        )
    document = {
        "sections": {**postmortem.document.get("sections", {}), **sections},
        "facts": dict(postmortem.document.get("facts", {})),
    }
    if participants_affected is not None:
        document["facts"]["participants_affected"] = participants_affected
    now = clock.now()
    with audit.audited(
        postmortem,
        db=db,
        actor=actor,
        action="postmortem.edit",
        target_type="postmortem",
        clock=clock,
        view=view,
    ):
        postmortem.document = document
        postmortem.version += 1
        postmortem.updated_at, postmortem.updated_by = now, actor.name
        db.add(
            PostmortemVersion(
                postmortem_id=postmortem.id,
                number=postmortem.version,
                document=document,
                edited_at=now,
                edited_by=actor.name,
            )
        )
    return postmortem


def submit(*, db: Session, postmortem: Postmortem, actor: Actor, clock: Clock) -> Postmortem:
    """Ask for the commander's review."""
    if postmortem.status is not P.draft:
        raise Conflict(Message("Only a draft can be submitted for review."), code="postmortem_not_draft")
    with audit.audited(
        postmortem,
        db=db,
        actor=actor,
        action="postmortem.submit",
        target_type="postmortem",
        clock=clock,
        view=view,
    ):
        postmortem.status, postmortem.updated_at = P.in_review, clock.now()
    return postmortem


def approve(*, db: Session, postmortem: Postmortem, actor: Actor, clock: Clock) -> Postmortem:
    """The commander approves it; the incident becomes ``reviewed``."""
    if postmortem.status is not P.in_review:
        raise Conflict(
            Message("Only a postmortem in review can be approved."), code="postmortem_not_in_review"
        )
    with audit.audited(
        postmortem,
        db=db,
        actor=actor,
        action="postmortem.approve",
        target_type="postmortem",
        clock=clock,
        view=view,
    ):
        postmortem.status, postmortem.approved_at, postmortem.approved_by = (
            P.approved,
            clock.now(),
            actor.name,
        )
    incident = incidents.get(db=db, incident_id=postmortem.incident_id, for_update=True)
    if incident.status is IncidentStatus.resolved:
        incidents.transition(
            db=db, incident=incident, target=IncidentStatus.reviewed, actor=actor, clock=clock
        )
    return postmortem


# --- Action items -----------------------------------------------------------------------------


def get_item(*, db: Session, item_id: int, for_update: bool = False) -> ActionItem:
    found = db.get(ActionItem, item_id, with_for_update=for_update or None)
    if found is None:
        raise NotFound(Message("No action item {id}.", {"id": item_id}), code="action_item_not_found")
    return found


def list_items(
    *, db: Session, event_id: int | None = None, postmortem_id: int | None = None
) -> Sequence[ActionItem]:
    """Oldest first."""
    query = select(ActionItem)
    if event_id is not None:
        query = query.where(ActionItem.event_id == event_id)
    if postmortem_id is not None:
        query = query.where(ActionItem.postmortem_id == postmortem_id)
    return db.scalars(query.order_by(ActionItem.id)).all()


def add_item(
    *,
    db: Session,
    postmortem: Postmortem,
    title: str,
    owner_team: str,
    due_at: datetime,
    actor: Actor,
    clock: Clock,
) -> ActionItem:
    """An action item of the postmortem, owned by a team of the plan."""
    return _new_item(
        db=db,
        event_id=postmortem.event_id,
        postmortem_id=postmortem.id,
        incident_id=postmortem.incident_id,
        drill_run_id=None,
        title=title,
        owner_team=owner_team,
        due_at=due_at,
        actor=actor,
        clock=clock,
    )


def add_drill_item(
    *,
    db: Session,
    event_id: int,
    drill_run_id: int,
    incident_id: int | None,
    title: str,
    owner_team: str,
    due_at: datetime,
    actor: Actor,
    clock: Clock,
) -> ActionItem:
    """An action item from a drill run's evaluation (a gap it showed), owned by a team of the plan;
    ``incident_id`` is the drill incident a live run was scored on."""
    return _new_item(
        db=db,
        event_id=event_id,
        postmortem_id=None,
        incident_id=incident_id,
        drill_run_id=drill_run_id,
        title=title,
        owner_team=owner_team,
        due_at=due_at,
        actor=actor,
        clock=clock,
    )


def _new_item(
    *,
    db: Session,
    event_id: int,
    postmortem_id: int | None,
    incident_id: int | None,
    drill_run_id: int | None,
    title: str,
    owner_team: str,
    due_at: datetime,
    actor: Actor,
    clock: Clock,
) -> ActionItem:
    spec = plans.get_active_plan(db=db, event_id=event_id)
    if spec.team(owner_team) is None:
        raise InvalidInput(
            Message("The plan has no team {team}.", {"team": owner_team}),
            code="unknown_team",
            details={"known": [team.id for team in spec.teams]},
        )
    if not title.strip():
        raise InvalidInput(Message("An action item needs a title."), code="empty_title")
    if due_at.tzinfo is None:
        raise InvalidInput(Message("The due date needs a time zone offset."), code="naive_due_at")
    item = ActionItem(
        event_id=event_id,
        postmortem_id=postmortem_id,
        incident_id=incident_id,
        drill_run_id=drill_run_id,
        title=title[:300],
        owner_team=owner_team,
        due_at=due_at,
        status=ActionItemStatus.open,
        created_at=clock.now(),
        created_by=actor.name,
    )
    return audit.added(
        item,
        db=db,
        actor=actor,
        action="action_item.create",
        target_type="action_item",
        clock=clock,
        view=item_view,
    )


def set_item_status(
    *, db: Session, item: ActionItem, status: ActionItemStatus, actor: Actor, clock: Clock
) -> ActionItem:
    with audit.audited(
        item,
        db=db,
        actor=actor,
        action="action_item.status",
        target_type="action_item",
        clock=clock,
        view=item_view,
    ):
        item.status = status
        closed = status in (ActionItemStatus.done, ActionItemStatus.wont_do)
        item.closed_at = clock.now() if closed else None
    return item


def overdue(*, db: Session, event_id: int, now: datetime) -> Sequence[ActionItem]:
    """Open items past their due date."""
    query = select(ActionItem).where(
        ActionItem.event_id == event_id,
        ActionItem.status.in_([ActionItemStatus.open, ActionItemStatus.in_progress]),
        ActionItem.due_at < now,
    )
    return db.scalars(query.order_by(ActionItem.due_at)).all()


def propose_plan_change(
    *, db: Session, item: ActionItem, source: str, actor: Actor, clock: Clock
) -> ActionItem:
    """Attach a whole plan (YAML) the item proposes; it must validate and be this event's plan."""
    if item.plan_version_id is not None:
        raise Conflict(
            Message("The action item's plan change was accepted already."), code="plan_change_accepted"
        )
    result = plans.validate_source(source=source, filename=f"action-item-{item.id}.yaml")
    if result.spec is None:
        raise PlanInvalid(result)
    event = events.get(db=db, event_id=item.event_id)
    if result.spec.event.slug != event.slug:
        raise InvalidInput(
            Message(
                "The proposed plan is for event {slug}, not {event}.",
                {"slug": result.spec.event.slug, "event": event.slug},
            ),
            code="plan_for_another_event",
        )
    with audit.audited(
        item,
        db=db,
        actor=actor,
        action="action_item.propose_plan",
        target_type="action_item",
        clock=clock,
        view=item_view,
    ):
        item.proposed_plan, item.proposed_by = source, actor.name
        item.base_version_number = plans.newest_number(db=db, slug=event.slug)
    return item


def accept_plan_change(
    *, db: Session, item: ActionItem, actor: Actor, clock: Clock, role: Role | None = None
) -> ActionItem:
    """Apply the proposed plan as the event's newest version, its comment naming the item and its
    incident; the item keeps the version (``plan diff`` between base and it shows the change)."""
    if item.proposed_plan is None:
        raise Conflict(Message("The action item proposes no plan change."), code="no_plan_change")
    if item.plan_version_id is not None:
        raise Conflict(
            Message("The action item's plan change was accepted already."), code="plan_change_accepted"
        )
    event = events.get(db=db, event_id=item.event_id)
    base = plans.newest_number(db=db, slug=event.slug)
    comment = f"action item #{item.id}" + (f" of incident #{item.incident_id}" if item.incident_id else "")
    if item.drill_run_id is not None:
        comment += f" of drill run #{item.drill_run_id}"
    version = plans.apply_plan(
        db=db,
        source=item.proposed_plan,
        filename=f"action-item-{item.id}.yaml",
        actor=actor,
        clock=clock,
        comment=comment,
        role=role,
    )
    if version.number == base:
        raise Conflict(Message("The proposed plan changes nothing."), code="plan_unchanged")
    with audit.audited(
        item,
        db=db,
        actor=actor,
        action="action_item.accept_plan",
        target_type="action_item",
        clock=clock,
        view=item_view,
    ):
        item.plan_version_id, item.plan_version_number = version.id, version.number
        item.base_version_number = base
        item.accepted_at, item.accepted_by = clock.now(), actor.name
    return item


def revisions(*, db: Session, event_id: int) -> Sequence[ActionItem]:
    """Action items whose plan change became a plan version, newest version first."""
    query = select(ActionItem).where(ActionItem.event_id == event_id, ActionItem.plan_version_id.is_not(None))
    return db.scalars(query.order_by(ActionItem.plan_version_number.desc())).all()
