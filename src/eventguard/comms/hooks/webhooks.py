"""Announcement webhooks: the event site's banner, social-media tools or an SMS gateway get every
published text in both languages, signed with Standard Webhooks (the secret is shown once)."""

from __future__ import annotations

import re
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from eventguard.audit import service as audit
from eventguard.audit.service import Actor
from eventguard.clock import Clock
from eventguard.comms.models import AnnouncementWebhook
from eventguard.comms.subscribers.service import new_secret
from eventguard.errors import InvalidInput, NotFound
from eventguard.i18n import Message

_URL = re.compile(r"^https?://[^\s/?#]+[^\s]*$")


def create(
    *, db: Session, event_id: int, name: str, url: str, actor: Actor, clock: Clock
) -> AnnouncementWebhook:
    """Add a webhook; the returned row holds its secret, which no later answer shows again."""
    address = url.strip()
    if len(address) > 2048 or not _URL.match(address):
        raise InvalidInput(
            Message("The webhook URL must start with http:// or https://."), code="invalid_url"
        )
    return audit.added(
        AnnouncementWebhook(
            event_id=event_id,
            name=name.strip()[:120] or address[:120],
            url=address,
            secret=new_secret(),
            created_at=clock.now(),
            created_by=actor.name,
        ),
        db=db,
        actor=actor,
        action="comms.announcement_webhook.create",
        target_type="announcement_webhook",
        clock=clock,
        view=lambda hook: {"event_id": hook.event_id, "name": hook.name, "url": hook.url},
    )


def list_for_event(*, db: Session, event_id: int) -> Sequence[AnnouncementWebhook]:
    """Every announcement webhook of the event, disabled ones included, oldest first."""
    query = select(AnnouncementWebhook).where(AnnouncementWebhook.event_id == event_id)
    return db.scalars(query.order_by(AnnouncementWebhook.id)).all()


def active_for(*, db: Session, event_id: int) -> list[AnnouncementWebhook]:
    """The webhooks that get the next announcement."""
    return [hook for hook in list_for_event(db=db, event_id=event_id) if hook.disabled_at is None]


def disable(*, db: Session, event_id: int, hook_id: int, actor: Actor, clock: Clock) -> AnnouncementWebhook:
    """Stop sending to the webhook (kept for the record); 404 when the event has no such webhook."""
    hook = db.get(AnnouncementWebhook, hook_id)
    if hook is None or hook.event_id != event_id:
        raise NotFound(Message("No announcement webhook {id}.", {"id": hook_id}), code="webhook_not_found")
    if hook.disabled_at is None:
        hook.disabled_at = clock.now()
        audit.record(
            db=db,
            actor=actor,
            action="comms.announcement_webhook.disable",
            target_type="announcement_webhook",
            target_id=hook.id,
            clock=clock,
        )
    return hook
