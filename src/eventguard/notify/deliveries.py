"""Queueing deliveries. Anything that leaves the process as a message (an IM robot post, an e-mail,
a webhook) is a ``Delivery`` row written in the caller's transaction; the worker sends it."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from eventguard.clock import Clock
from eventguard.notify.channels.base import Notification
from eventguard.notify.models import Delivery, DeliveryStatus


def serialise(notification: Notification) -> dict[str, Any]:
    data = dataclasses.asdict(notification)
    if notification.occurred_at is not None:
        data["occurred_at"] = notification.occurred_at.isoformat()
    return data


def deserialise(data: dict[str, Any]) -> Notification:
    fields = dict(data)
    if fields.get("occurred_at"):
        fields["occurred_at"] = datetime.fromisoformat(fields["occurred_at"])
    return Notification(**fields)


def enqueue(
    *,
    db: Session,
    channel_kind: str,
    address: str,
    notification: Notification,
    purpose: str,
    clock: Clock,
    event_id: int | None = None,
    incident_id: int | None = None,
    channel_id: str | None = None,
    recipient: str | None = None,
    role: str | None = None,
    secret_env: str | None = None,
    secret: str | None = None,
    options: dict[str, Any] | None = None,
    deadline: datetime | None = None,
    available_at: datetime | None = None,
    failover_group: str | None = None,
    failover_rank: int = 0,
) -> Delivery:
    """Queue one message to one target (flushes nothing; the caller's commit makes it real).

    ``notification.idempotency_key`` must be unique per delivery and stays the same on every retry,
    so receivers can drop duplicates. ``secret_env`` names an environment variable read at send time
    (plan channels); ``secret`` is stored (subscriber webhooks, whose secret we generated)."""
    now = clock.now()
    delivery = Delivery(
        event_id=event_id,
        incident_id=incident_id,
        purpose=purpose,
        channel_kind=channel_kind,
        channel_id=channel_id,
        recipient=recipient,
        role=role,
        address=address,
        secret_env=secret_env,
        secret=secret,
        options=options or {},
        notification=serialise(notification),
        idempotency_key=notification.idempotency_key,
        failover_group=failover_group,
        failover_rank=failover_rank,
        status=DeliveryStatus.pending,
        created_at=now,
        available_at=available_at or now,
        deadline=deadline,
    )
    db.add(delivery)
    return delivery


def new_key() -> str:
    """A fresh idempotency key (hex, no dots: valid as a Standard Webhooks ``webhook-id``)."""
    return "msg_" + uuid.uuid4().hex
