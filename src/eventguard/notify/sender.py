"""The delivery worker: claim a due delivery, send it outside any transaction, record the outcome.

At least once, never lost: a claim is a lease written before sending; a worker that dies mid-send
leaves a lease that expires, and the delivery is sent again with the same idempotency key, so a
receiver that de-duplicates sees it exactly once. PostgreSQL workers claim with SKIP LOCKED."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, exists, or_, select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, aliased

from eventguard.db import Database
from eventguard.logs import get_logger
from eventguard.notify import coalesce, outcomes, recipient_limits
from eventguard.notify.channels import build_channel
from eventguard.notify.channels.base import ChannelTarget, DeliveryReceipt, Notification, TransportError
from eventguard.notify.deliveries import deserialise
from eventguard.notify.models import Delivery, DeliveryStatus
from eventguard.notify.targets import resolve_target
from eventguard.worker.context import WorkerContext

log = get_logger("eventguard.notify.sender")


@dataclass(frozen=True)
class Claimed:
    delivery_id: int
    attempt: int
    started_at: datetime


UNFINISHED = (DeliveryStatus.pending, DeliveryStatus.sending)


def _due(now: datetime) -> ColumnElement[bool]:
    return or_(
        (Delivery.status == DeliveryStatus.pending) & (Delivery.available_at <= now),
        (Delivery.status == DeliveryStatus.sending) & (Delivery.lease_until <= now),  # its worker died
    )


def _first_in_line() -> ColumnElement[bool]:
    """Messages of one incident reach one address in the order they were queued: a delivery waits
    while an earlier one of its incident to the same place is unfinished (retrying against a
    receiver that is down, say), so "resolved" never overtakes "opened"."""
    earlier = aliased(Delivery)
    return ~exists().where(
        earlier.incident_id == Delivery.incident_id,
        earlier.channel_kind == Delivery.channel_kind,
        earlier.address == Delivery.address,
        earlier.id < Delivery.id,
        earlier.status.in_(UNFINISHED),
    )


def claim(*, db: Session, context: WorkerContext) -> Delivery | None:
    """Lease the next due delivery (skipping ones an earlier failover rank made unnecessary and
    postponing or merging ones a channel's rate limit holds back)."""
    now = context.clock.now()
    while True:
        delivery = db.scalar(
            select(Delivery)
            .where(_due(now), _first_in_line())
            .order_by(Delivery.available_at, Delivery.id)
            .limit(1)
            .with_for_update(skip_locked=True)
        )
        if delivery is None:
            return None
        if outcomes.made_unnecessary(db=db, delivery=delivery):
            delivery.status, delivery.last_error = (
                DeliveryStatus.superseded,
                "an earlier contact method got through",
            )
            continue
        if not coalesce.admit(db, delivery, now):
            continue  # postponed until the channel's window frees; look at the next one
        if not recipient_limits.admit(db, delivery, now):
            continue  # an SMS/call over its number's limit: delayed (and recorded), next one
        delivery.status = DeliveryStatus.sending
        delivery.lease_until = now + context.lease
        delivery.attempts += 1
        return delivery


def send_one(*, database: Database, context: WorkerContext) -> bool:
    """Claim, send and record one delivery; False when nothing is due."""
    with database.session(write=True) as db:
        delivery = claim(db=db, context=context)
        if delivery is None:
            db.commit()
            return False
        claimed = Claimed(delivery.id, delivery.attempts, context.clock.now())
        kind = delivery.channel_kind
        prepared: tuple[Notification, ChannelTarget] | TransportError
        try:
            prepared = deserialise(delivery.notification), resolve_target(delivery)
        except TransportError as exc:  # e.g. a secret's environment variable is not set
            prepared = exc
        db.commit()  # the lease is on disk before anything leaves the process
    result = prepared if isinstance(prepared, TransportError) else _send(kind, *prepared, context)
    for attempt in range(1, RECORD_TRIES + 1):
        try:
            _record(database, claimed, result, context)
            break
        except DBAPIError as exc:  # the message is out: losing its outcome would send it again
            if attempt == RECORD_TRIES or not _transient(exc):
                raise
            log.warning("delivery_record_retried", delivery_id=claimed.delivery_id, error=repr(exc.orig))
            time.sleep(0.05 * attempt)
    return True


RECORD_TRIES = 5
_TRANSIENT_SQLSTATES = frozenset({"40P01", "40001"})  # deadlock detected, serialization failure


def _transient(exc: DBAPIError) -> bool:
    """A failure that the same transaction, run again, gets past: a PostgreSQL deadlock or
    serialization failure, SQLite's busy database."""
    if getattr(exc.orig, "sqlstate", None) in _TRANSIENT_SQLSTATES:
        return True
    return "database is locked" in str(exc.orig)


def _record(
    database: Database, claimed: Claimed, result: DeliveryReceipt | TransportError, context: WorkerContext
) -> None:
    with database.session(write=True) as db:
        if isinstance(result, TransportError):
            recipient_limits.forget(db, claimed.delivery_id)  # it did not reach the phone
        outcomes.record(
            db=db,
            delivery_id=claimed.delivery_id,
            started_at=claimed.started_at,
            result=result,
            context=context,
        )
        db.commit()


def _send(
    kind: str, note: Notification, target: ChannelTarget, context: WorkerContext
) -> DeliveryReceipt | TransportError:
    try:
        return build_channel(kind, context).send(note, target)
    except TransportError as exc:
        return exc
    except Exception as exc:  # a channel bug must not kill the worker; retried like a temporary error
        log.exception("channel_crashed", kind=kind)
        return TransportError(f"channel error: {exc!r}")


def deliver_due(*, database: Database, context: WorkerContext, limit: int = 200) -> int:
    """Send up to ``limit`` due deliveries; returns how many were attempted."""
    sent = 0
    while sent < limit and send_one(database=database, context=context):
        sent += 1
    return sent
