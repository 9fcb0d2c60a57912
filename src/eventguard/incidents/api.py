"""Incident API: list, get, declare, acknowledge, resolve, status, re-level, roles, notes, progress
updates, tasks, merge, timeline, evidence. Every write is role-checked, audited and committed
before the answer."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from sqlalchemy.orm import Session

from eventguard.auth.deps import CurrentPrincipal, Principal, require_role
from eventguard.auth.models import Role
from eventguard.deps import ClockDep, DbSession, request_language
from eventguard.events import service as events
from eventguard.incidents import merge as merging
from eventguard.incidents import queries, roles, runbook, service, timeline
from eventguard.incidents.models import Incident, IncidentStatus
from eventguard.incidents.schemas import (
    IncidentDeclare,
    IncidentDetail,
    IncidentEdit,
    IncidentPage,
    IncidentRead,
    MergeIn,
    NoteIn,
    PauseIn,
    PauseRead,
    ProgressIn,
    Relevel,
    Resolve,
    ResumeIn,
    RoleAssign,
    RoleRead,
    StatusChange,
    TaskChange,
    TaskRead,
    TimelineRead,
)
from eventguard.inputs import Count, Id, SafeStr
from eventguard.openapi import errors
from eventguard.plans import service as plans

router = APIRouter(prefix="/api/v1/incidents", tags=["incidents"], responses=errors(404))
Responder = Annotated[Principal, Depends(require_role(Role.responder))]
Commander = Annotated[Principal, Depends(require_role(Role.commander))]
Language = Annotated[str, Depends(request_language)]


def detail(db: Session, incident: Incident, lang: str) -> IncidentDetail:
    """The incident's full answer: roles, tasks, the title to show in ``lang``, the scenario's
    legal guidance and the event's pause."""
    event = events.get(db=db, event_id=incident.event_id)
    spec = plans.get_active_plan(db=db, event_id=incident.event_id)
    scenario = spec.scenario(incident.scenario_id) if incident.scenario_id else None
    pause = service.pause_state(db=db, event_id=incident.event_id)
    base = IncidentRead.model_validate(incident).model_dump()
    return IncidentDetail(
        **base,
        event_slug=event.slug,
        roles=[RoleRead.model_validate(r) for r in roles.list_roles(db=db, incident_id=incident.id)],
        tasks=[TaskRead.model_validate(t) for t in runbook.list_tasks(db=db, incident_id=incident.id)],
        title_source=incident.title_source,
        display_title=service.display_title(incident=incident, spec=spec, lang=lang),
        scenario_name=scenario.name.model_dump(by_alias=True) if scenario else None,
        legal=service.legal_guidance(incident=incident, spec=spec),
        paused=pause is not None,
        pause=PauseRead.model_validate(pause) if pause else None,
    )


def commit_detail(db: Session, incident: Incident, lang: str) -> IncidentDetail:
    db.commit()
    return detail(db, incident, lang)


@router.get("", response_model=IncidentPage)
def list_incidents(
    _viewer: CurrentPrincipal,
    db: DbSession,
    event: Annotated[SafeStr | None, Query(description="Event slug.")] = None,
    status: list[IncidentStatus] = Query(default=[]),
    level: list[Count] = Query(default=[]),
    scenario: SafeStr | None = None,
    open: bool = Query(False, description="Only incidents not resolved yet."),
    limit: int = Query(50, ge=1, le=200),
    offset: Annotated[Count, Query()] = 0,
) -> IncidentPage:
    """Incidents, newest first, filtered by event, status, level, scenario; paginated."""
    event_id = events.get_by_slug(db=db, slug=event).id if event else None
    items, total = queries.list_incidents(
        db=db,
        event_id=event_id,
        statuses=status,
        levels=level,
        scenario_id=scenario,
        open_only=open,
        limit=limit,
        offset=offset,
    )
    return IncidentPage(
        items=[IncidentRead.model_validate(i) for i in items], total=total, limit=limit, offset=offset
    )


@router.post("", response_model=IncidentDetail, status_code=201)
def declare(
    body: IncidentDeclare, principal: Responder, db: DbSession, clock: ClockDep, lang: Language
) -> IncidentDetail:
    """Declare an incident by hand, without any alert (e.g. a participant dispute or a PR crisis)."""
    event = events.get_by_slug(db=db, slug=body.event)
    spec = plans.get_active_plan(db=db, event_id=event.id)
    incident = service.declare(
        db=db,
        event=event,
        spec=spec,
        title=body.title,
        level=body.level,
        scenario_id=body.scenario_id,
        core_functions=body.core_functions,
        impact=body.impact,
        phase=plans.current_phase(spec=spec, at=clock.now()),
        actor=principal.actor,
        clock=clock,
        is_drill=body.drill,
    )
    return commit_detail(db, incident, lang)


@router.get("/{incident_id}", response_model=IncidentDetail)
def get_incident(incident_id: Id, _viewer: CurrentPrincipal, db: DbSession, lang: Language) -> IncidentDetail:
    """One incident with its roles and runbook tasks."""
    return detail(db, service.get(db=db, incident_id=incident_id), lang)


@router.patch("/{incident_id}", response_model=IncidentDetail, responses=errors(422))
def edit_incident(
    incident_id: Id, body: IncidentEdit, principal: Commander, db: DbSession, clock: ClockDep, lang: Language
) -> IncidentDetail:
    """A commander renames the incident: the new title wins over the plan's scenario name."""
    incident = service.get(db=db, incident_id=incident_id, for_update=True)
    service.rename(db=db, incident=incident, title=body.title, actor=principal.actor, clock=clock)
    return commit_detail(db, incident, lang)


@router.post("/{incident_id}/pause", response_model=IncidentDetail, responses=errors(409))
def pause_event(
    incident_id: Id,
    principal: Commander,
    db: DbSession,
    clock: ClockDep,
    lang: Language,
    body: PauseIn | None = None,
) -> IncidentDetail:
    """Pause the incident's event (the seed's 立即停止活动): the console and the public status page
    show it as paused, with the plan's pause template, until a commander resumes it. Pausing a
    paused event changes nothing; a drill cannot pause it (409)."""
    incident = service.get(db=db, incident_id=incident_id, for_update=True)
    reason = body.reason if body else None
    service.pause(db=db, incident=incident, actor=principal.actor, clock=clock, reason=reason)
    return commit_detail(db, incident, lang)


@router.post("/{incident_id}/resume", response_model=IncidentDetail, responses=errors(409))
def resume_event(
    incident_id: Id,
    principal: Commander,
    db: DbSession,
    clock: ClockDep,
    lang: Language,
    body: ResumeIn | None = None,
) -> IncidentDetail:
    """Resume the incident's paused event (409 ``not_paused`` when it is not paused)."""
    incident = service.get(db=db, incident_id=incident_id, for_update=True)
    note = body.note if body else None
    service.resume(db=db, incident=incident, actor=principal.actor, clock=clock, note=note)
    return commit_detail(db, incident, lang)


@router.post("/{incident_id}/acknowledge", response_model=IncidentDetail, responses=errors(409))
def acknowledge(
    incident_id: Id, principal: Responder, db: DbSession, clock: ClockDep, lang: Language
) -> IncidentDetail:
    """Acknowledge: someone is on it (stops escalation)."""
    incident = service.get(db=db, incident_id=incident_id, for_update=True)
    service.acknowledge(db=db, incident=incident, actor=principal.actor, clock=clock)
    return commit_detail(db, incident, lang)


@router.post("/{incident_id}/resolve", response_model=IncidentDetail, responses=errors(409))
def resolve(
    incident_id: Id,
    principal: Responder,
    db: DbSession,
    clock: ClockDep,
    lang: Language,
    body: Resolve | None = None,
) -> IncidentDetail:
    """Resolve the incident (409 if it is already resolved or reviewed)."""
    incident = service.get(db=db, incident_id=incident_id, for_update=True)
    service.resolve(
        db=db, incident=incident, actor=principal.actor, clock=clock, note=body.note if body else None
    )
    return commit_detail(db, incident, lang)


@router.post("/{incident_id}/status", response_model=IncidentDetail, responses=errors(409))
def change_status(
    incident_id: Id, body: StatusChange, principal: Responder, db: DbSession, clock: ClockDep, lang: Language
) -> IncidentDetail:
    """Move the incident along its lifecycle; transitions the lifecycle forbids answer 409."""
    incident = service.get(db=db, incident_id=incident_id, for_update=True)
    service.transition(
        db=db, incident=incident, target=body.status, actor=principal.actor, clock=clock, note=body.note
    )
    return commit_detail(db, incident, lang)


@router.post("/{incident_id}/level", response_model=IncidentDetail, responses=errors(409))
def relevel(
    incident_id: Id, body: Relevel, principal: Responder, db: DbSession, clock: ClockDep, lang: Language
) -> IncidentDetail:
    """Change the level with a reason (kept on the timeline)."""
    incident = service.get(db=db, incident_id=incident_id, for_update=True)
    service.relevel(
        db=db, incident=incident, level=body.level, reason=body.reason, actor=principal.actor, clock=clock
    )
    return commit_detail(db, incident, lang)


@router.post("/{incident_id}/roles", response_model=IncidentDetail)
def assign_role(
    incident_id: Id, body: RoleAssign, principal: Commander, db: DbSession, clock: ClockDep, lang: Language
) -> IncidentDetail:
    """Give a role (commander, tech lead, ops lead, comms, legal, scribe) to a person of the plan."""
    incident = service.get(db=db, incident_id=incident_id, for_update=True)
    spec = plans.get_active_plan(db=db, event_id=incident.event_id)
    roles.assign(
        db=db,
        incident=incident,
        spec=spec,
        role=body.role,
        person_id=body.person_id,
        actor=principal.actor,
        clock=clock,
    )
    return commit_detail(db, incident, lang)


@router.post("/{incident_id}/notes", response_model=TimelineRead, status_code=201)
def add_note(
    incident_id: Id, body: NoteIn, principal: Responder, db: DbSession, clock: ClockDep
) -> TimelineRead:
    """Add an internal note to the timeline (never shown publicly)."""
    incident = service.get(db=db, incident_id=incident_id)
    service.add_note(db=db, incident=incident, text=body.text, actor=principal.actor, clock=clock)
    db.commit()
    return TimelineRead.model_validate(timeline.entries(db=db, incident_id=incident.id)[-1])


@router.post("/{incident_id}/updates", response_model=TimelineRead, status_code=201)
def add_update(
    incident_id: Id, body: ProgressIn, principal: Responder, db: DbSession, clock: ClockDep
) -> TimelineRead:
    """Report progress with an optional ETA (the newest ETA is shown on the incident)."""
    incident = service.get(db=db, incident_id=incident_id, for_update=True)
    service.add_progress(
        db=db,
        incident=incident,
        text=body.text,
        eta=body.eta,
        team=body.team,
        actor=principal.actor,
        clock=clock,
    )
    db.commit()
    return TimelineRead.model_validate(timeline.entries(db=db, incident_id=incident.id)[-1])


@router.get("/{incident_id}/timeline", response_model=list[TimelineRead])
def get_timeline(
    incident_id: Id, _viewer: CurrentPrincipal, db: DbSession, after_id: Annotated[Count, Query()] = 0
) -> list[TimelineRead]:
    """The timeline, oldest first; ``after_id`` returns only newer entries."""
    service.get(db=db, incident_id=incident_id)
    return [
        TimelineRead.model_validate(e)
        for e in timeline.entries(db=db, incident_id=incident_id, after_id=after_id)
    ]


@router.get("/{incident_id}/tasks", response_model=list[TaskRead])
def list_tasks(incident_id: Id, _viewer: CurrentPrincipal, db: DbSession) -> list[TaskRead]:
    """Runbook tasks in restore order."""
    service.get(db=db, incident_id=incident_id)
    return [TaskRead.model_validate(t) for t in runbook.list_tasks(db=db, incident_id=incident_id)]


@router.post("/{incident_id}/tasks/{task_id}/{action}", response_model=TaskRead, responses=errors(409))
def change_task(
    incident_id: Id,
    task_id: Id,
    action: str,
    principal: Responder,
    db: DbSession,
    clock: ClockDep,
    body: TaskChange | None = None,
) -> TaskRead:
    """``start``, ``done``, ``skip`` (with a reason) or ``reopen`` a runbook task."""
    incident = service.get(db=db, incident_id=incident_id, for_update=True)
    task = runbook.change_task(
        db=db,
        incident=incident,
        task_id=task_id,
        action=action,
        actor=principal.actor,
        clock=clock,
        reason=body.reason if body else None,
    )
    db.commit()
    return TaskRead.model_validate(task)


@router.post("/{incident_id}/merge", response_model=IncidentDetail, responses=errors(409))
def merge(
    incident_id: Id, body: MergeIn, principal: Commander, db: DbSession, clock: ClockDep, lang: Language
) -> IncidentDetail:
    """Fold this incident into ``into``: alerts move over, this one is resolved as merged."""
    first, second = sorted((incident_id, body.into))  # lock in id order: no deadlock between two merges
    locked = {i: service.get(db=db, incident_id=i, for_update=True) for i in (first, second)}
    target = merging.merge(
        db=db, source=locked[incident_id], target=locked[body.into], actor=principal.actor, clock=clock
    )
    return commit_detail(db, target, lang)


@router.get("/{incident_id}/evidence")
def get_evidence(incident_id: Id, _viewer: CurrentPrincipal, db: DbSession) -> dict[str, Any]:
    """The evidence frozen when the incident opened: the raw alerts and labels that caused it."""
    return service.get(db=db, incident_id=incident_id).evidence
