"""Per-recipient limits of SMS and voice gateways: at most N texts (or calls) to one phone number per
window (the channel class's ``per_recipient_limit`` per hour, or the plan channel's
``config.per_recipient_limit`` / ``per_recipient_window_minutes``), counted over every gateway of
the same medium. A message over the limit is never dropped: it is **delayed** until the window frees
(the delivery's ``last_error`` and the incident's timeline say so, ``eventguard_recipient_limited_total``
counts it), the person's next contact method becomes due at once instead of waiting for it, and
when the window frees the waiting messages to that number are merged into one (``coalesce.merge``).
A delayed message whose person was reached another way meanwhile is ``superseded`` — recorded, not
sent."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from eventguard.notify import coalesce, metrics, outcomes
from eventguard.notify.channels import facts_for
from eventguard.notify.channels.base import TransportError
from eventguard.notify.channels.sms import normalise_phone
from eventguard.notify.models import Delivery, DeliveryStatus, RecipientSend

DEFAULT_WINDOW_MINUTES = 60
BACKLOG_LIMIT = 50


def _number(delivery: Delivery) -> str | None:
    options = delivery.options or {}
    raw = options.get("phone") or options.get("to")
    if not raw:
        return None
    try:
        return normalise_phone(str(raw))
    except TransportError:
        return None  # the channel refuses it permanently when it is sent


def limit_of(delivery: Delivery) -> tuple[str, int, timedelta] | None:
    """(medium, limit, window) for an SMS/voice delivery, None when nothing limits it."""
    facts = facts_for(delivery.channel_kind)
    if facts.medium is None:
        return None
    options = delivery.options or {}
    limit = int(options.get("per_recipient_limit") or facts.per_recipient_limit or 0)
    minutes = int(options.get("per_recipient_window_minutes") or DEFAULT_WINDOW_MINUTES)
    return (facts.medium, limit, timedelta(minutes=minutes)) if limit > 0 else None


def admit(db: Session, delivery: Delivery, now: datetime) -> bool:
    """True (and the send is counted) if ``delivery`` may go to its number now; False if it was
    delayed until the number's window frees."""
    limited = limit_of(delivery)
    number = _number(delivery)
    if limited is None or number is None:
        return True
    medium, limit, window = limited
    recent = list(
        db.scalars(
            select(RecipientSend.sent_at)
            .where(
                RecipientSend.medium == medium,
                RecipientSend.recipient == number,
                RecipientSend.sent_at > now - window,
            )
            .order_by(RecipientSend.sent_at)
        )
    )
    if len(recent) >= limit:
        _delay(db, delivery, now, recent[len(recent) - limit] + window, medium, limit, window, number)
        return False
    backlog = [
        other
        for other in db.scalars(
            select(Delivery)
            .where(
                Delivery.channel_kind == delivery.channel_kind,
                Delivery.address == delivery.address,
                Delivery.status == DeliveryStatus.pending,
                Delivery.available_at <= now,
                Delivery.id != delivery.id,
            )
            .order_by(Delivery.id)
            .limit(BACKLOG_LIMIT)
            .with_for_update(skip_locked=True)
        )
        if _number(other) == number
    ]
    if backlog and len(recent) + 1 + len(backlog) > limit:
        coalesce.merge(delivery, backlog)  # one text for the waiting messages, never more than the limit
    db.add(RecipientSend(delivery_id=delivery.id, medium=medium, recipient=number, sent_at=now))
    return True


def _delay(
    db: Session,
    delivery: Delivery,
    now: datetime,
    free_at: datetime,
    medium: str,
    limit: int,
    window: timedelta,
    number: str,
) -> None:
    minutes = int(window.total_seconds() // 60)
    delivery.available_at = free_at
    delivery.last_error = (
        f"per-recipient limit reached: {limit} {medium} per {minutes} min to {number}; "
        f"delayed until {free_at.strftime('%Y-%m-%d %H:%M:%S')} UTC"
    )
    options = delivery.options or {}
    if options.get("recipient_limited"):
        return
    delivery.options = {**options, "recipient_limited": now.isoformat()}
    metrics.RECIPIENT_LIMITED.labels(delivery.channel_kind).inc()
    outcomes.note(db, delivery, now, "delayed", delivery.last_error)
    if delivery.failover_group:  # the person's next contact method does not wait for this window
        db.execute(
            update(Delivery)
            .where(
                Delivery.failover_group == delivery.failover_group,
                Delivery.failover_rank == delivery.failover_rank + 1,
                Delivery.status == DeliveryStatus.pending,
                Delivery.available_at > now,
            )
            .values(available_at=now)
        )


def forget(db: Session, delivery_id: int) -> None:
    """The latest counted send of ``delivery_id`` did not reach the phone (it failed): uncount it."""
    latest = db.scalar(select(func.max(RecipientSend.id)).where(RecipientSend.delivery_id == delivery_id))
    if latest is not None:
        db.execute(delete(RecipientSend).where(RecipientSend.id == latest))


def sent_within(db: Session, *, medium: str, number: str, since: datetime) -> int:
    """How many texts or calls went to ``number`` since ``since``."""
    return (
        db.scalar(
            select(func.count())
            .select_from(RecipientSend)
            .where(
                RecipientSend.medium == medium,
                RecipientSend.recipient == number,
                RecipientSend.sent_at > since,
            )
        )
        or 0
    )
