"""Notification API: per-incident delivery status and SLA, channel health, test messages."""

from __future__ import annotations

import os
from typing import Annotated

from fastapi import APIRouter, Depends
from sqlalchemy import select

from eventguard.auth.deps import CurrentPrincipal, Principal, require_role
from eventguard.auth.models import Role
from eventguard.deps import ClockDep, DbSession
from eventguard.errors import NotFound
from eventguard.events import service as events
from eventguard.i18n import Message, t
from eventguard.incidents import service as incidents
from eventguard.notify import deliveries
from eventguard.notify.channels.base import Notification
from eventguard.notify.models import ChannelHealth, Delivery
from eventguard.notify.planner import sla_rows
from eventguard.notify.recipients import channel_method
from eventguard.notify.schemas import ChannelRead, DeliveryRead, IncidentNotifications, SlaRead
from eventguard.plans import service as plans

router = APIRouter(prefix="/api/v1", tags=["notifications"])
Commander = Annotated[Principal, Depends(require_role(Role.commander))]


@router.get("/incidents/{incident_id}/notifications", response_model=IncidentNotifications)
def incident_notifications(
    incident_id: int, _viewer: CurrentPrincipal, db: DbSession
) -> IncidentNotifications:
    """Time to first notification per notified role against the deadline, and every delivery."""
    incident = incidents.get(db=db, incident_id=incident_id)
    rows = [SlaRead.model_validate(row) for row in sla_rows(db, incident.id)]
    sent = db.scalars(select(Delivery).where(Delivery.incident_id == incident.id).order_by(Delivery.id)).all()
    decided = [row.met for row in rows if row.met is not None]
    return IncidentNotifications(
        sla=rows,
        deliveries=[DeliveryRead.model_validate(d) for d in sent],
        all_met=None if not rows or len(decided) < len(rows) else all(decided),
    )


@router.get("/events/{slug}/channels", response_model=list[ChannelRead])
def list_channels(slug: str, _viewer: CurrentPrincipal, db: DbSession) -> list[ChannelRead]:
    """The plan's channels with their last success and last error (never their secrets)."""
    event = events.get_by_slug(db=db, slug=slug)
    spec = plans.get_active_plan(db=db, event_id=event.id)
    health = {
        row.channel_id: row
        for row in db.scalars(select(ChannelHealth).where(ChannelHealth.event_id == event.id))
    }
    result = []
    for channel in spec.channels:
        row = health.get(channel.id)
        result.append(
            ChannelRead(
                id=channel.id,
                type=channel.type,
                target=channel.target,
                secret_configured=not channel.secret_env or bool(os.environ.get(channel.secret_env)),
                last_success_at=row.last_success_at if row else None,
                last_error_at=row.last_error_at if row else None,
                last_error=row.last_error if row else None,
                permanent_failure=row.permanent_failure if row else False,
            )
        )
    return result


@router.post("/events/{slug}/channels/{channel_id}/test", status_code=202)
def send_test_message(
    slug: str, channel_id: str, principal: Commander, db: DbSession, clock: ClockDep
) -> dict[str, int]:
    """Queue a test message to one channel; its outcome shows on the channel within seconds."""
    event = events.get_by_slug(db=db, slug=slug)
    spec = plans.get_active_plan(db=db, event_id=event.id)
    channel = next((c for c in spec.channels if c.id == channel_id), None)
    if channel is None:
        raise NotFound(
            Message("The plan has no channel {channel}.", {"channel": channel_id}), code="channel_not_found"
        )
    method = channel_method(channel)
    language = principal.language
    note = Notification(
        idempotency_key=deliveries.new_key(),
        topic="channel.test",
        language=language,
        title=t("EventGuard test message", language),
        text=t("This channel works: {name} can reach it.", language, name=principal.user.display_name),
        markdown=t("This channel works: {name} can reach it.", language, name=principal.user.display_name),
    )
    delivery = deliveries.enqueue(
        db=db,
        channel_kind=method.kind,
        address=method.address,
        notification=note,
        purpose="test",
        clock=clock,
        event_id=event.id,
        channel_id=channel.id,
        secret_env=method.secret_env,
        options=dict(method.options),
    )
    db.commit()
    return {"delivery_id": delivery.id}
