"""Roles on an incident (commander, tech lead, ops lead, comms/PR, legal, scribe), filled from the plan."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from eventguard.audit import service as audit
from eventguard.audit.service import Actor
from eventguard.clock import Clock
from eventguard.errors import InvalidInput
from eventguard.i18n import Message
from eventguard.incidents import timeline
from eventguard.incidents.models import Incident, IncidentRole, RoleAssignment
from eventguard.plans.schemas import PlanSpec


def list_roles(*, db: Session, incident_id: int) -> Sequence[RoleAssignment]:
    query = (
        select(RoleAssignment).where(RoleAssignment.incident_id == incident_id).order_by(RoleAssignment.role)
    )
    return db.scalars(query).all()


def team_of(spec: PlanSpec, person_id: str) -> str | None:
    """The team the person leads, else the first team they belong to."""
    for team in spec.teams:
        if team.lead == person_id:
            return team.id
    return next((team.id for team in spec.teams if person_id in team.members), None)


def assign(
    *,
    db: Session,
    incident: Incident,
    spec: PlanSpec,
    role: IncidentRole,
    person_id: str,
    actor: Actor,
    clock: Clock,
) -> RoleAssignment:
    """Give ``role`` to a person of the plan (replacing whoever held it); timelined and audited."""
    if all(person.id != person_id for person in spec.people):
        raise InvalidInput(
            Message("{person} is not a person of the event's plan.", {"person": person_id}),
            code="unknown_person",
        )
    current = db.scalar(
        select(RoleAssignment).where(RoleAssignment.incident_id == incident.id, RoleAssignment.role == role)
    )
    before = current.person_id if current else None
    if current is None:
        current = RoleAssignment(incident_id=incident.id, role=role)
        db.add(current)
    current.person_id = person_id
    current.team_id = team_of(spec, person_id)
    current.assigned_at = clock.now()
    current.assigned_by = actor.name
    timeline.add(
        db=db,
        incident=incident,
        kind="role",
        actor=actor,
        clock=clock,
        data={"role": role.value, "person_id": person_id, "previous": before},
    )
    audit.record(
        db=db,
        actor=actor,
        action="incident.assign_role",
        target_type="incident",
        target_id=incident.id,
        before={"role": role.value, "person_id": before},
        after={"role": role.value, "person_id": person_id},
        clock=clock,
    )
    return current
