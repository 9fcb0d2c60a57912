"""Notification API: per-incident delivery status and SLA, channel health, test messages."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from eventguard.auth.deps import CurrentPrincipal, Principal, require_role
from eventguard.auth.models import Role
from eventguard.deps import ClockDep, DbSession
from eventguard.events import service as events
from eventguard.incidents import service as incidents
from eventguard.inputs import Id
from eventguard.notify import channel_admin, service
from eventguard.notify.schemas import ChannelRead, DeliveryRead, IncidentNotifications, SlaRead
from eventguard.openapi import errors

router = APIRouter(prefix="/api/v1", tags=["notifications"], responses=errors(404))
Commander = Annotated[Principal, Depends(require_role(Role.commander))]


@router.get("/incidents/{incident_id}/notifications", response_model=IncidentNotifications)
def incident_notifications(
    incident_id: Id, _viewer: CurrentPrincipal, db: DbSession
) -> IncidentNotifications:
    """Time to first notification per notified role against the deadline, and every delivery."""
    incident = incidents.get(db=db, incident_id=incident_id)
    rows = [SlaRead.model_validate(row) for row in service.sla_rows(db=db, incident_id=incident.id)]
    sent = service.incident_deliveries(db=db, incident_id=incident.id)
    decided = [row.met for row in rows if row.met is not None]
    return IncidentNotifications(
        sla=rows,
        deliveries=[DeliveryRead.model_validate(d) for d in sent],
        all_met=None if not rows or len(decided) < len(rows) else all(decided),
    )


@router.get("/events/{slug}/channels", response_model=list[ChannelRead])
def list_channels(slug: str, _viewer: CurrentPrincipal, db: DbSession) -> list[ChannelRead]:
    """The plan's channels with their last success and last error (never their secrets)."""
    return channel_admin.list_channels(db=db, event=events.get_by_slug(db=db, slug=slug))


@router.post("/events/{slug}/channels/{channel_id}/test", status_code=202)
def send_test_message(
    slug: str, channel_id: str, principal: Commander, db: DbSession, clock: ClockDep
) -> dict[str, int]:
    """Queue a test message to one channel; its outcome shows on the channel within seconds."""
    delivery = channel_admin.send_test_message(
        db=db,
        event=events.get_by_slug(db=db, slug=slug),
        channel_id=channel_id,
        sender_name=principal.user.display_name,
        language=principal.language,
        actor=principal.actor,
        clock=clock,
    )
    db.commit()
    return {"delivery_id": delivery.id}
