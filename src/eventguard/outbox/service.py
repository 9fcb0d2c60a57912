"""Writing domain events. Nothing is sent from inside a request: rows are delivered by workers."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from eventguard.clock import Clock
from eventguard.outbox.models import OutboxMessage


def enqueue(
    *,
    db: Session,
    topic: str,
    aggregate_type: str,
    aggregate_id: int,
    payload: dict[str, Any],
    clock: Clock,
    event_id: int | None = None,
    is_drill: bool = False,
) -> OutboxMessage:
    """Add a domain event to the caller's transaction; it exists only if that transaction commits."""
    now = clock.now()
    message = OutboxMessage(
        topic=topic,
        event_id=event_id,
        aggregate_type=aggregate_type,
        aggregate_id=aggregate_id,
        idempotency_key=uuid.uuid4().hex,
        payload=payload,
        is_drill=is_drill,
        created_at=now,
        available_at=now,
    )
    db.add(message)
    return message


def list_for(*, db: Session, aggregate_type: str, aggregate_id: int) -> Sequence[OutboxMessage]:
    """The domain events of one aggregate, oldest first."""
    query = (
        select(OutboxMessage)
        .where(OutboxMessage.aggregate_type == aggregate_type, OutboxMessage.aggregate_id == aggregate_id)
        .order_by(OutboxMessage.id)
    )
    return db.scalars(query).all()
