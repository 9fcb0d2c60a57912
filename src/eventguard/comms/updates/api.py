"""Comms API for the response team: public update drafts (responder+ drafts and previews,
commander+ publishes, a second commander approves on approval levels), backup plans of an incident
(responder+), and per event: component overrides, maintenances, settings, subscribers and
announcement webhooks. Every write is audited and committed before the answer."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from sqlalchemy.orm import Session

from eventguard.auth.deps import CurrentPrincipal, Principal, require_role
from eventguard.auth.models import Role
from eventguard.comms.backups import plans as backup_plans
from eventguard.comms.backups import service as backups
from eventguard.comms.models import Maintenance, PublicUpdate
from eventguard.comms.schemas import (
    BackupPlanRead,
    BackupRead,
    DraftIn,
    MaintenanceIn,
    MaintenanceRead,
    MaintenanceStatusIn,
    PublicUpdateRead,
    SubscriberRead,
    WordingRead,
)
from eventguard.comms.statuspage.cache import cache_of
from eventguard.comms.subscribers import service as subscribers
from eventguard.comms.updates import approval, drafts, maintenance
from eventguard.deps import ClockDep, DbSession, SettingsDep
from eventguard.errors import NotFound
from eventguard.events import service as events
from eventguard.i18n import Message
from eventguard.incidents import service as incidents
from eventguard.incidents.models import Incident
from eventguard.inputs import Id
from eventguard.openapi import errors
from eventguard.plans import service as plans

router = APIRouter(prefix="/api/v1", tags=["comms"], responses=errors(404))
Responder = Annotated[Principal, Depends(require_role(Role.responder))]
Commander = Annotated[Principal, Depends(require_role(Role.commander))]


def changed(request: Request, db: Session, event_id: int) -> None:
    """Commit, then make this process's status page show the change at once."""
    db.commit()
    cache_of(request.app).invalidate(events.get(db=db, event_id=event_id).slug)


def _draft(body: DraftIn) -> drafts.DraftInput:
    return drafts.DraftInput(
        status=body.status,
        template_id=body.template_id,
        variables=body.variables,
        title=body.title.as_dict() if body.title else None,
        body=body.body.as_dict() if body.body else None,
        components=body.components,
        impact=body.impact,
    )


def _read(db: Session, update: PublicUpdate, incident: Incident, clock: ClockDep) -> PublicUpdateRead:
    needs = approval.needs_approval(db=db, incident=incident, clock=clock)
    return PublicUpdateRead.model_validate(update).model_copy(update={"needs_approval": needs})


@router.get("/incidents/{incident_id}/public-updates", response_model=list[PublicUpdateRead])
def list_updates(
    incident_id: Id, _viewer: CurrentPrincipal, db: DbSession, clock: ClockDep
) -> list[PublicUpdateRead]:
    """Drafts and published updates of the incident, oldest first."""
    incident = incidents.get(db=db, incident_id=incident_id)
    return [_read(db, u, incident, clock) for u in drafts.list_for_incident(db=db, incident_id=incident_id)]


@router.post("/incidents/{incident_id}/public-updates/preview", response_model=WordingRead)
def preview(
    incident_id: Id, body: DraftIn, _responder: Responder, db: DbSession, settings: SettingsDep
) -> WordingRead:
    """What an update with these choices would say in both languages (nothing is saved)."""
    incident = incidents.get(db=db, incident_id=incident_id)
    spec = plans.get_active_plan(db=db, event_id=incident.event_id)
    text = drafts.preview(db=db, incident=incident, spec=spec, draft=_draft(body), base_url=settings.base_url)
    return WordingRead(title=text.title, body=text.body)


@router.post("/incidents/{incident_id}/public-updates", response_model=PublicUpdateRead, status_code=201)
def create_draft(
    incident_id: Id,
    body: DraftIn,
    principal: Responder,
    db: DbSession,
    clock: ClockDep,
    settings: SettingsDep,
) -> PublicUpdateRead:
    """Draft a public update from the plan's announcement template (or hand-written text)."""
    incident = incidents.get(db=db, incident_id=incident_id, for_update=True)
    spec = plans.get_active_plan(db=db, event_id=incident.event_id)
    update = drafts.create_draft(
        db=db,
        incident=incident,
        spec=spec,
        draft=_draft(body),
        base_url=settings.base_url,
        actor=principal.actor,
        clock=clock,
    )
    db.commit()
    return _read(db, update, incident, clock)


def _locked(db: Session, update_id: int) -> tuple[PublicUpdate, Incident]:
    # Incident first, then update: the same order as drafting and backup changes (no deadlock).
    update = drafts.get(db=db, update_id=update_id)
    incident = incidents.get(db=db, incident_id=update.incident_id, for_update=True)
    return drafts.get(db=db, update_id=update_id, for_update=True), incident


@router.get("/public-updates/{update_id}", response_model=PublicUpdateRead)
def get_update(update_id: Id, _viewer: CurrentPrincipal, db: DbSession, clock: ClockDep) -> PublicUpdateRead:
    """One draft or published update, with whether publishing it needs a second commander."""
    update = drafts.get(db=db, update_id=update_id)
    return _read(db, update, incidents.get(db=db, incident_id=update.incident_id), clock)


@router.patch("/public-updates/{update_id}", response_model=PublicUpdateRead, responses=errors(409))
def edit_update(
    update_id: Id, body: DraftIn, principal: Responder, db: DbSession, clock: ClockDep, settings: SettingsDep
) -> PublicUpdateRead:
    """Change a draft (status, variables, template or text); it needs its approval again."""
    update, incident = _locked(db, update_id)
    spec = plans.get_active_plan(db=db, event_id=incident.event_id)
    drafts.edit(
        db=db,
        update=update,
        incident=incident,
        spec=spec,
        draft=_draft(body),
        base_url=settings.base_url,
        actor=principal.actor,
        clock=clock,
    )
    db.commit()
    return _read(db, update, incident, clock)


@router.post("/public-updates/{update_id}/publish", response_model=PublicUpdateRead, responses=errors(409))
def publish(
    update_id: Id, request: Request, principal: Commander, db: DbSession, clock: ClockDep
) -> PublicUpdateRead:
    """Publish the draft (commander+). On an approval level it waits for a second commander:
    the answer's ``state`` is ``pending_approval`` until then."""
    update, incident = _locked(db, update_id)
    approval.publish(db=db, update=update, incident=incident, actor=principal.actor, clock=clock)
    changed(request, db, incident.event_id)
    return _read(db, update, incident, clock)


@router.post("/public-updates/{update_id}/approve", response_model=PublicUpdateRead, responses=errors(409))
def approve(
    update_id: Id, request: Request, principal: Commander, db: DbSession, clock: ClockDep
) -> PublicUpdateRead:
    """Approve and publish a draft another commander asked to publish (403 for the same person)."""
    update, incident = _locked(db, update_id)
    approval.approve(db=db, update=update, incident=incident, actor=principal.actor, clock=clock)
    changed(request, db, incident.event_id)
    return _read(db, update, incident, clock)


@router.post("/public-updates/{update_id}/discard", response_model=PublicUpdateRead, responses=errors(409))
def discard(update_id: Id, principal: Responder, db: DbSession, clock: ClockDep) -> PublicUpdateRead:
    """Throw a draft away."""
    update, incident = _locked(db, update_id)
    approval.discard(db=db, update=update, incident=incident, actor=principal.actor, clock=clock)
    db.commit()
    return _read(db, update, incident, clock)


@router.get("/incidents/{incident_id}/backups", response_model=list[BackupPlanRead])
def list_backups(incident_id: Id, _viewer: CurrentPrincipal, db: DbSession) -> list[BackupPlanRead]:
    """The plan's backup plans, those of the incident's scenario marked ``suggested``, and which are on."""
    incident = incidents.get(db=db, incident_id=incident_id)
    spec = plans.get_active_plan(db=db, event_id=incident.event_id)
    scenario = spec.scenario(incident.scenario_id) if incident.scenario_id else None
    active = {
        a.backup_id for a in backup_plans.list_for_incident(db=db, incident_id=incident_id, active_only=True)
    }
    return [
        BackupPlanRead(
            id=plan.id,
            kind=plan.kind,
            name={"zh-CN": plan.name.zh_cn, "en": plan.name.en},
            links=[link.url for link in plan.links]
            + [u for u in (plan.stream_url, plan.offline_pack_url) if u],
            active=plan.id in active,
            suggested=scenario is not None and plan.id in scenario.backup_plans,
        )
        for plan in spec.backup_plans
    ]


@router.post(
    "/incidents/{incident_id}/backups/{backup_id}/{action}", response_model=BackupRead, responses=errors(409)
)
def switch_backup(
    incident_id: Id,
    backup_id: str,
    action: str,
    request: Request,
    principal: Responder,
    db: DbSession,
    clock: ClockDep,
    settings: SettingsDep,
) -> BackupRead:
    """``activate`` or ``deactivate`` a backup plan for the incident: timelined, shown on the status
    page, and its links go into the incident's announcement drafts."""
    incident = incidents.get(db=db, incident_id=incident_id, for_update=True)
    spec = plans.get_active_plan(db=db, event_id=incident.event_id)
    switch = {"activate": backups.activate, "deactivate": backups.deactivate}.get(action)
    if switch is None:
        raise NotFound(Message("Unknown action {action}.", {"action": action}), code="unknown_action")
    row = switch(
        db=db,
        incident=incident,
        spec=spec,
        backup_id=backup_id,
        base_url=settings.base_url,
        actor=principal.actor,
        clock=clock,
    )
    changed(request, db, incident.event_id)
    return BackupRead.model_validate(row)


@router.get("/events/{slug}/status/maintenances", response_model=list[MaintenanceRead])
def list_maintenances(
    slug: str, _viewer: CurrentPrincipal, db: DbSession, clock: ClockDep
) -> list[MaintenanceRead]:
    """Upcoming, running and recently ended maintenances of the event."""
    event = events.get_by_slug(db=db, slug=slug)
    return [
        _maintenance_read(m, clock)
        for m in maintenance.list_recent(db=db, event_id=event.id, now=clock.now())
    ]


def _maintenance_read(row: Maintenance, clock: ClockDep) -> MaintenanceRead:
    return MaintenanceRead(
        id=row.id,
        title=row.title,
        components=row.components,
        status=row.status,
        shown_status=maintenance.effective_status(row, clock.now()),
        auto_transition=row.auto_transition,
        scheduled_for=row.scheduled_for,
        scheduled_until=row.scheduled_until,
        created_at=row.created_at,
        created_by=row.created_by,
        updated_at=row.updated_at,
    )


@router.post("/events/{slug}/status/maintenances", response_model=MaintenanceRead, status_code=201)
def schedule_maintenance(
    slug: str, body: MaintenanceIn, request: Request, principal: Commander, db: DbSession, clock: ClockDep
) -> MaintenanceRead:
    """Announce a maintenance window (components show ``under_maintenance`` while it runs)."""
    event = events.get_by_slug(db=db, slug=slug)
    row = maintenance.schedule(
        db=db,
        event_id=event.id,
        spec=plans.get_active_plan(db=db, event_id=event.id),
        title=body.title.as_dict(),
        body=body.body.as_dict(),
        components=body.components,
        scheduled_for=body.scheduled_for,
        scheduled_until=body.scheduled_until,
        auto_transition=body.auto_transition,
        notify=body.notify,
        actor=principal.actor,
        clock=clock,
    )
    changed(request, db, event.id)
    return _maintenance_read(row, clock)


@router.post("/events/{slug}/status/maintenances/{maintenance_id}/status", response_model=MaintenanceRead)
def change_maintenance(
    slug: str,
    maintenance_id: Id,
    body: MaintenanceStatusIn,
    request: Request,
    principal: Commander,
    db: DbSession,
    clock: ClockDep,
) -> MaintenanceRead:
    """Set a maintenance's status by hand (``verifying``, an early ``completed`` …) with a message."""
    event = events.get_by_slug(db=db, slug=slug)
    row = maintenance.get(db=db, maintenance_id=maintenance_id, event_id=event.id)
    maintenance.change_status(
        db=db,
        maintenance=row,
        status=body.status,
        body=body.body.as_dict(),
        notify=body.notify,
        actor=principal.actor,
        clock=clock,
    )
    changed(request, db, event.id)
    return _maintenance_read(row, clock)


@router.get("/events/{slug}/status/subscribers", response_model=list[SubscriberRead])
def list_subscribers(slug: str, _commander: Commander, db: DbSession) -> list[SubscriberRead]:
    """Every subscriber of the event (addresses are personal data: commander+ only)."""
    event = events.get_by_slug(db=db, slug=slug)
    return [SubscriberRead.model_validate(s) for s in subscribers.list_for_event(db=db, event_id=event.id)]
