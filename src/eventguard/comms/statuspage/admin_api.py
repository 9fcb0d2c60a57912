"""Comms API per event's status page: component states and overrides (commander+), settings
(admin: which levels need a second approver, how often comms is reminded) and announcement
webhooks (admin adds and removes them; the secret is shown once)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request

from eventguard.auth.deps import CurrentPrincipal, Principal, require_role
from eventguard.auth.models import Role
from eventguard.comms.hooks import webhooks
from eventguard.comms.schemas import (
    ComponentRead,
    OverrideIn,
    SettingsIn,
    SettingsRead,
    WebhookCreated,
    WebhookIn,
    WebhookRead,
)
from eventguard.comms.statuspage import components as derivation
from eventguard.comms.statuspage import state
from eventguard.comms.statuspage.cache import cache_of
from eventguard.comms.updates.api import changed
from eventguard.deps import ClockDep, DbSession
from eventguard.events import service as events
from eventguard.inputs import Id
from eventguard.openapi import errors
from eventguard.plans import service as plans

router = APIRouter(prefix="/api/v1/events/{slug}/status", tags=["comms"], responses=errors(404))
Commander = Annotated[Principal, Depends(require_role(Role.commander))]
Admin = Annotated[Principal, Depends(require_role(Role.admin))]


@router.get("/components", response_model=list[ComponentRead])
def list_components(
    slug: str, request: Request, _viewer: CurrentPrincipal, db: DbSession
) -> list[ComponentRead]:
    """The components as the public sees them now, and which ones comms overrides."""
    event = events.get_by_slug(db=db, slug=slug)
    page = cache_of(request.app).current(slug)
    overridden = derivation.overrides_of(db=db, event_id=event.id)
    return [
        ComponentRead(id=c.id, name=c.name, status=c.status, overridden=c.id in overridden)
        for c in page.components
    ]


@router.put("/components/{component_id}", response_model=list[ComponentRead])
def override_component(
    slug: str,
    component_id: str,
    body: OverrideIn,
    request: Request,
    principal: Commander,
    db: DbSession,
    clock: ClockDep,
) -> list[ComponentRead]:
    """Show this status for the component whatever incidents and maintenances say."""
    event = events.get_by_slug(db=db, slug=slug)
    derivation.set_override(
        db=db,
        event_id=event.id,
        spec=plans.get_active_plan(db=db, event_id=event.id),
        component_id=component_id,
        status=body.status,
        actor=principal.actor,
        clock=clock,
    )
    changed(request, db, event.id)
    return list_components(slug, request, principal, db)


@router.delete("/components/{component_id}", response_model=list[ComponentRead])
def clear_override(
    slug: str, component_id: str, request: Request, principal: Commander, db: DbSession, clock: ClockDep
) -> list[ComponentRead]:
    """Go back to the status derived from incidents and maintenances."""
    event = events.get_by_slug(db=db, slug=slug)
    derivation.clear_override(
        db=db, event_id=event.id, component_id=component_id, actor=principal.actor, clock=clock
    )
    changed(request, db, event.id)
    return list_components(slug, request, principal, db)


@router.get("/settings", response_model=SettingsRead)
def get_settings(slug: str, _viewer: CurrentPrincipal, db: DbSession, clock: ClockDep) -> SettingsRead:
    """Which levels need a second approver, the reminder interval and the page's change counter."""
    event = events.get_by_slug(db=db, slug=slug)
    return SettingsRead.model_validate(state.read(db=db, event_id=event.id, clock=clock))


@router.put("/settings", response_model=SettingsRead)
def put_settings(
    slug: str, body: SettingsIn, principal: Admin, db: DbSession, clock: ClockDep
) -> SettingsRead:
    """Change the approval levels (e.g. ``[1, 2]``, or ``[]`` for none) and the reminder interval."""
    event = events.get_by_slug(db=db, slug=slug)
    page = state.update_settings(
        db=db,
        event_id=event.id,
        approval_levels=body.approval_levels,
        reminder_minutes=body.reminder_minutes,
        actor=principal.actor,
        clock=clock,
    )
    db.commit()
    return SettingsRead.model_validate(page)


@router.get("/announcement-webhooks", response_model=list[WebhookRead])
def list_webhooks(slug: str, _commander: Commander, db: DbSession) -> list[WebhookRead]:
    """The event's announcement webhooks (without their secrets)."""
    event = events.get_by_slug(db=db, slug=slug)
    return [WebhookRead.model_validate(h) for h in webhooks.list_for_event(db=db, event_id=event.id)]


@router.post("/announcement-webhooks", response_model=WebhookCreated, status_code=201)
def add_webhook(
    slug: str, body: WebhookIn, principal: Admin, db: DbSession, clock: ClockDep
) -> WebhookCreated:
    """Send every published text, in both languages, to this URL (the event site's banner, social
    tools). The answer shows the signing secret once."""
    event = events.get_by_slug(db=db, slug=slug)
    hook = webhooks.create(
        db=db, event_id=event.id, name=body.name, url=body.url, actor=principal.actor, clock=clock
    )
    db.commit()
    return WebhookCreated.model_validate(hook)


@router.delete("/announcement-webhooks/{hook_id}", response_model=WebhookRead)
def remove_webhook(slug: str, hook_id: Id, principal: Admin, db: DbSession, clock: ClockDep) -> WebhookRead:
    """Stop sending announcements to the webhook."""
    event = events.get_by_slug(db=db, slug=slug)
    hook = webhooks.disable(db=db, event_id=event.id, hook_id=hook_id, actor=principal.actor, clock=clock)
    db.commit()
    return WebhookRead.model_validate(hook)
