from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import Enum, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from eventguard.db.base import Base, JSONType, UTCDateTime


class DeliveryStatus(enum.StrEnum):
    pending = "pending"  # waiting for its next attempt (available_at)
    sending = "sending"  # claimed by a worker (lease until lease_until)
    delivered = "delivered"
    failed = "failed"  # permanent error, or out of attempts
    superseded = "superseded"  # a failover target or an acknowledgement made it unnecessary


class Delivery(Base):
    """One message to one target over one channel, delivered at least once by the worker."""

    __tablename__ = "deliveries"
    __table_args__ = (
        Index("ix_deliveries_due", "status", "available_at"),
        Index("ix_deliveries_incident", "incident_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int | None] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), default=None)
    incident_id: Mapped[int | None] = mapped_column(
        ForeignKey("incidents.id", ondelete="CASCADE"), default=None
    )
    purpose: Mapped[str] = mapped_column(String(32))  # notify | escalation | subscriber | announcement | test
    channel_kind: Mapped[str] = mapped_column(String(32))
    channel_id: Mapped[str | None] = mapped_column(String(64), default=None)  # plan channel id, if any
    recipient: Mapped[str | None] = mapped_column(String(120), default=None)  # person id, subscriber id …
    role: Mapped[str | None] = mapped_column(String(64), default=None)  # the notify target it serves
    address: Mapped[str] = mapped_column(Text)
    secret_env: Mapped[str | None] = mapped_column(String(128), default=None)  # resolved at send time
    secret: Mapped[str | None] = mapped_column(String(256), default=None)  # for subscriber webhooks
    options: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    notification: Mapped[dict[str, Any]] = mapped_column(JSONType)  # a serialised channels.base.Notification
    idempotency_key: Mapped[str] = mapped_column(String(64), unique=True)
    failover_group: Mapped[str | None] = mapped_column(String(64), default=None, index=True)
    failover_rank: Mapped[int] = mapped_column(default=0)
    status: Mapped[DeliveryStatus] = mapped_column(Enum(DeliveryStatus, native_enum=False, length=16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    available_at: Mapped[datetime] = mapped_column(UTCDateTime())
    deadline: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    attempts: Mapped[int] = mapped_column(default=0)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    last_error: Mapped[str | None] = mapped_column(Text, default=None)


class DeliveryAttempt(Base):
    """Every try of a delivery: when, how it went, what the other end answered."""

    __tablename__ = "delivery_attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    delivery_id: Mapped[int] = mapped_column(ForeignKey("deliveries.id", ondelete="CASCADE"), index=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime] = mapped_column(UTCDateTime())
    outcome: Mapped[str] = mapped_column(String(16))  # delivered | temporary | permanent
    status_code: Mapped[int | None] = mapped_column(default=None)
    error: Mapped[str | None] = mapped_column(Text, default=None)
    worker: Mapped[str] = mapped_column(String(64))


class NotificationSla(Base):
    """The 5-minute rule for one notified role of one incident: its deadline and when it was met."""

    __tablename__ = "notification_sla"
    __table_args__ = (Index("ix_notification_sla_open", "first_delivered_at", "deadline"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"), index=True)
    target: Mapped[str] = mapped_column(String(120))  # e.g. "team:tech:lead", "person:li-na", "channel:x"
    # The incident level whose notify_within this row measures (None: rows older than re-level clocks).
    level: Mapped[int | None] = mapped_column(default=None)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    deadline: Mapped[datetime] = mapped_column(UTCDateTime())
    first_delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    met: Mapped[bool | None] = mapped_column(default=None)  # None until delivered or breached
    breached_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)


class EscalationStep(Base):
    """A timer of the level's escalation policy: fires unless the incident is acknowledged first."""

    __tablename__ = "escalation_steps"
    __table_args__ = (Index("ix_escalation_steps_due", "fired_at", "cancelled_at", "due_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"), index=True)
    policy_id: Mapped[str] = mapped_column(String(64))
    round: Mapped[int] = mapped_column(default=0)  # repeat round of the policy
    step: Mapped[int]  # index in the policy's steps; len(steps) is the final page of the event owner
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    fired_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)


class ChannelHealth(Base):
    """The last outcome of each plan channel, shown to users (the last error especially)."""

    __tablename__ = "channel_health"
    __table_args__ = (UniqueConstraint("event_id", "channel_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    channel_id: Mapped[str] = mapped_column(String(64))
    last_success_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    last_error_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    last_error: Mapped[str | None] = mapped_column(Text, default=None)
    permanent_failure: Mapped[bool] = mapped_column(default=False)


class RecipientSend(Base):
    """One SMS or call sent (or being sent) to one phone number: what the per-recipient limit of SMS
    and voice gateways counts (``notify.recipient_limits``)."""

    __tablename__ = "recipient_sends"
    __table_args__ = (Index("ix_recipient_sends_window", "medium", "recipient", "sent_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    delivery_id: Mapped[int] = mapped_column(ForeignKey("deliveries.id", ondelete="CASCADE"), index=True)
    medium: Mapped[str] = mapped_column(String(16))  # sms | voice
    recipient: Mapped[str] = mapped_column(String(32))  # the E.164 number
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime())
