"""The management of integrations (alert senders bound to an event). Intake itself is
``alerts/intake_api.py``."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field

from eventguard.alerts import integrations
from eventguard.auth.deps import CurrentPrincipal, Principal, require_role
from eventguard.auth.models import Role
from eventguard.deps import ClockDep, DbSession
from eventguard.errors import NotFound
from eventguard.events import service as events
from eventguard.i18n import Message
from eventguard.inputs import Id, SafeStr

router = APIRouter(prefix="/api/v1", tags=["alert intake"])
Commander = Annotated[Principal, Depends(require_role(Role.commander))]


class IntegrationCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: SafeStr = Field(min_length=1, max_length=120)
    kind: SafeStr = Field(description="alertmanager, grafana, pagerduty, generic, or a plugin's format.")
    hmac_secret: SafeStr | None = Field(default=None, max_length=128, description="Grafana HMAC secret.")


@router.post("/events/{slug}/integrations", status_code=201)
def create_integration(
    slug: str, body: IntegrationCreate, principal: Commander, db: DbSession, clock: ClockDep
) -> dict[str, Any]:
    """Create an integration for the event; the token is in this answer only."""
    event = events.get_by_slug(db=db, slug=slug)
    integration, token = integrations.create(
        db=db,
        event=event,
        name=body.name,
        kind=body.kind,
        actor=principal.actor,
        clock=clock,
        hmac_secret=body.hmac_secret,
    )
    db.commit()
    return {**integrations.public_view(integration), "token": token, "endpoint": _endpoint(integration.kind)}


def _endpoint(kind: str) -> str:
    return (
        "/api/v1/integrations/pagerduty/v2/enqueue" if kind == "pagerduty" else f"/api/v1/integrations/{kind}"
    )


@router.get("/events/{slug}/integrations")
def list_integrations(slug: str, _viewer: CurrentPrincipal, db: DbSession) -> list[dict[str, Any]]:
    """The event's integrations (never their tokens)."""
    event = events.get_by_slug(db=db, slug=slug)
    return [
        {**integrations.public_view(i), "endpoint": _endpoint(i.kind)}
        for i in integrations.list_for_event(db=db, event_id=event.id)
    ]


@router.delete("/events/{slug}/integrations/{integration_id}")
def revoke_integration(
    slug: str, integration_id: Id, principal: Commander, db: DbSession, clock: ClockDep
) -> dict[str, Any]:
    """Revoke an integration's token; its sender is refused from now on."""
    event = events.get_by_slug(db=db, slug=slug)
    integration = integrations.revoke(
        db=db, integration_id=integration_id, actor=principal.actor, clock=clock
    )
    if integration.event_id != event.id:  # raising rolls the revocation back
        raise NotFound(Message("No integration {id}.", {"id": integration_id}), code="integration_not_found")
    db.commit()
    return integrations.public_view(integration)
