"""Recording what a send did: the attempt, the delivery's new state (delivered, retried with
backoff, failed), failover to the person's next contact method, the 5-minute SLA of the notified
role, the incident's timeline and the channel's health."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from eventguard.audit.service import Actor
from eventguard.incidents import service as incidents
from eventguard.incidents import timeline
from eventguard.notify import metrics
from eventguard.notify.channels.base import DeliveryReceipt, TransportError
from eventguard.notify.models import ChannelHealth, Delivery, DeliveryAttempt, DeliveryStatus, NotificationSla
from eventguard.worker.context import WorkerContext

# Temporary failures (a receiver down, 5xx, timeouts) are retried with backoff for this long after
# the delivery was queued, so an outage of minutes or hours loses nothing; then it fails (and the
# person's next contact method is tried at once).
RETRY_FOR = timedelta(hours=24)
NOTIFIER = Actor(type="system", name="notifier")


def made_unnecessary(*, db: Session, delivery: Delivery) -> bool:
    """Another contact method of the same person already got through: an earlier one, or a later
    one while this one was still being retried (its receiver down)."""
    if not delivery.failover_group:
        return False
    reached = db.scalar(
        select(Delivery.id)
        .where(
            Delivery.failover_group == delivery.failover_group,
            Delivery.id != delivery.id,
            Delivery.status == DeliveryStatus.delivered,
        )
        .limit(1)
    )
    return reached is not None


def record(
    *,
    db: Session,
    delivery_id: int,
    started_at: datetime,
    result: DeliveryReceipt | TransportError,
    context: WorkerContext,
) -> None:
    """Apply one attempt's result (the caller commits)."""
    delivery = db.get(Delivery, delivery_id, with_for_update=True)
    if delivery is None:
        return
    now = context.clock.now()
    outcome = (
        "delivered"
        if isinstance(result, DeliveryReceipt)
        else "permanent"
        if result.permanent
        else "temporary"
    )
    db.add(
        DeliveryAttempt(
            delivery_id=delivery.id,
            started_at=started_at,
            finished_at=now,
            outcome=outcome,
            status_code=result.status_code,
            error=None if isinstance(result, DeliveryReceipt) else result.message[:2000],
            worker=context.name,
        )
    )
    metrics.DELIVERIES.labels(delivery.channel_kind, outcome).inc()
    delivery.lease_until = None
    members = [delivery, *_coalesced(db, delivery)]
    if isinstance(result, DeliveryReceipt):
        for member in members:
            _delivered(db, member, now)
    elif not result.permanent and now < delivery.created_at + RETRY_FOR:
        _retry(delivery, result, now)
    else:
        for member in members:
            _failed(db, member, result, now)
    _channel_health(db, delivery, result, now)


def _coalesced(db: Session, delivery: Delivery) -> list[Delivery]:
    ids = (delivery.options or {}).get("coalesced") or []
    if not ids:
        return []
    return list(db.scalars(select(Delivery).where(Delivery.id.in_(ids))))


def _retry(delivery: Delivery, error: TransportError, now: datetime) -> None:
    delivery.status = DeliveryStatus.pending
    delivery.available_at = now + backoff(delivery.attempts, error.retry_after)
    delivery.last_error = error.message[:2000]
    metrics.RETRIES.labels(delivery.channel_kind).inc()


def _delivered(db: Session, delivery: Delivery, now: datetime) -> None:
    delivery.status, delivery.delivered_at = DeliveryStatus.delivered, now
    if delivery.failover_group:  # the person got it: their other contact methods are not needed
        # (the later ones, and the earlier ones still retrying against a receiver that is down)
        db.execute(
            update(Delivery)
            .where(
                Delivery.failover_group == delivery.failover_group,
                Delivery.id != delivery.id,
                Delivery.status == DeliveryStatus.pending,
            )
            .values(status=DeliveryStatus.superseded, last_error="another contact method got through")
        )
    if delivery.incident_id is None or delivery.role is None:
        return
    sla = db.scalar(
        select(NotificationSla)
        .where(
            NotificationSla.incident_id == delivery.incident_id,
            NotificationSla.target == delivery.role,
            NotificationSla.first_delivered_at.is_(None),
        )
        .with_for_update()
    )
    if sla is not None:
        sla.first_delivered_at, sla.met = now, now <= sla.deadline
        metrics.TIME_TO_NOTIFY.observe((now - sla.started_at).total_seconds())
    _timeline(db, delivery, now, "delivered", None)


def _failed(db: Session, delivery: Delivery, error: TransportError, now: datetime) -> None:
    delivery.status, delivery.last_error = DeliveryStatus.failed, error.message[:2000]
    if delivery.failover_group:  # try the person's next contact method at once
        db.execute(
            update(Delivery)
            .where(
                Delivery.failover_group == delivery.failover_group,
                Delivery.failover_rank == delivery.failover_rank + 1,
                Delivery.status == DeliveryStatus.pending,
            )
            .values(available_at=now)
        )
    _timeline(db, delivery, now, "failed", error.message)


def note(db: Session, delivery: Delivery, now: datetime, outcome: str, text: str | None) -> None:
    """A notification entry on the delivery's incident timeline (e.g. ``delayed`` by a limit)."""
    _timeline(db, delivery, now, outcome, text)


def _timeline(db: Session, delivery: Delivery, now: datetime, outcome: str, error: str | None) -> None:
    if delivery.incident_id is None:
        return
    incident = incidents.get(db=db, incident_id=delivery.incident_id)
    timeline.add(
        db=db,
        incident=incident,
        kind="notification",
        actor=NOTIFIER,
        clock=_Fixed(now),
        text=error,
        data={
            "delivery_id": delivery.id,
            "outcome": outcome,
            "channel": delivery.channel_kind,
            "channel_id": delivery.channel_id,
            "recipient": delivery.recipient,
            "role": delivery.role,
            "purpose": delivery.purpose,
            "attempts": delivery.attempts,
        },
    )


def _channel_health(
    db: Session, delivery: Delivery, result: DeliveryReceipt | TransportError, now: datetime
) -> None:
    if delivery.channel_id is None or delivery.event_id is None:
        return
    health = db.scalar(
        select(ChannelHealth).where(
            ChannelHealth.event_id == delivery.event_id, ChannelHealth.channel_id == delivery.channel_id
        )
    )
    if health is None:
        try:
            with db.begin_nested():  # another worker may create the same row at the same moment
                health = ChannelHealth(event_id=delivery.event_id, channel_id=delivery.channel_id)
                db.add(health)
        except IntegrityError:
            health = db.scalar(
                select(ChannelHealth).where(
                    ChannelHealth.event_id == delivery.event_id,
                    ChannelHealth.channel_id == delivery.channel_id,
                )
            )
            if health is None:
                return
    if isinstance(result, DeliveryReceipt):
        health.last_success_at, health.permanent_failure = now, False
    else:
        health.last_error_at, health.last_error = now, result.message[:2000]
        health.permanent_failure = result.permanent


class _Fixed:
    """A clock stopped at one instant, so every row of one outcome carries the same time."""

    def __init__(self, at: datetime) -> None:
        self._at = at

    def now(self) -> datetime:
        return self._at


def backoff(attempt: int, retry_after: float | None, rng: random.Random | None = None) -> timedelta:
    """Exponential backoff with ±20 % jitter (2 s, 4 s, 8 s … capped at 5 min), or the server's word."""
    if retry_after is not None:
        return timedelta(seconds=min(max(retry_after, 1.0), 3600.0))
    base = min(2.0**attempt, 300.0)
    return timedelta(seconds=base * (rng or random).uniform(0.8, 1.2))
