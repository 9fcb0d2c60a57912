"""The plan's channels as people manage them: their health (last success, last error) and test
messages. Keyword-only functions taking the session; the caller commits. Used by the API and the
console alike."""

from __future__ import annotations

import os
from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from eventguard.audit import service as audit
from eventguard.audit.service import Actor
from eventguard.clock import Clock
from eventguard.errors import NotFound
from eventguard.events.models import Event
from eventguard.i18n import Message, t
from eventguard.notify import deliveries
from eventguard.notify.channels import facts_for
from eventguard.notify.channels.base import Notification
from eventguard.notify.models import ChannelHealth, Delivery
from eventguard.notify.recipients import channel_method
from eventguard.notify.schemas import ChannelRead
from eventguard.plans import service as plans


def list_channels(*, db: Session, event: Event) -> list[ChannelRead]:
    """The plan's channels with their last success and last error (never their secrets)."""
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
                secret_configured=all(
                    bool(os.environ.get(name))
                    for name in (channel.secret_env, channel.signing_secret_env)
                    if name  # every secret the channel names is set (never their values)
                ),
                last_success_at=row.last_success_at if row else None,
                last_error_at=row.last_error_at if row else None,
                last_error=row.last_error if row else None,
                permanent_failure=row.permanent_failure if row else False,
            )
        )
    return result


def send_test_message(
    *, db: Session, event: Event, channel_id: str, sender_name: str, language: str, actor: Actor, clock: Clock
) -> Delivery:
    """Queue a test message to one channel (audited); its outcome shows on the channel within seconds."""
    spec = plans.get_active_plan(db=db, event_id=event.id)
    channel = next((c for c in spec.channels if c.id == channel_id), None)
    if channel is None:
        raise NotFound(
            Message("The plan has no channel {channel}.", {"channel": channel_id}), code="channel_not_found"
        )
    method = channel_method(channel)
    options = dict(method.options)
    owner = next((person for person in spec.people if person.id == channel.owner), None)
    if facts_for(channel.type).medium and not options.get("to") and owner and owner.phone:
        options["phone"] = owner.phone  # an SMS or voice gateway's test goes to its owner's phone
    text = t("This channel works: {name} can reach it.", language, name=sender_name)
    note = Notification(
        idempotency_key=deliveries.new_key(),
        topic="channel.test",
        language=language,
        title=t("EventGuard test message", language),
        text=text,
        markdown=text,
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
        options=options,
    )
    db.flush()
    audit.record(
        db=db,
        actor=actor,
        action="channel.test",
        target_type="channel",
        target_id=f"{event.slug}/{channel.id}",
        after={"delivery_id": delivery.id},
        clock=clock,
    )
    return delivery


def last_test_delivered(*, db: Session, event_id: int) -> dict[str, datetime]:
    """Per plan channel id: when a test message to it was last delivered (the readiness gate's rule)."""
    query = (
        select(Delivery.channel_id, func.max(Delivery.delivered_at))
        .where(
            Delivery.event_id == event_id,
            Delivery.purpose == "test",
            Delivery.channel_id.is_not(None),
            Delivery.delivered_at.is_not(None),
        )
        .group_by(Delivery.channel_id)
    )
    return {channel: _aware(moment) for channel, moment in db.execute(query) if channel and moment}


def _aware(moment: datetime) -> datetime:
    # an aggregate bypasses the column type on SQLite: its naive text comes back as a naive datetime
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
