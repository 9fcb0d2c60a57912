"""Notification API shapes."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict


class _Read(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class SlaRead(_Read):
    target: str
    started_at: datetime
    deadline: datetime
    first_delivered_at: datetime | None
    met: bool | None
    breached_at: datetime | None


class DeliveryRead(_Read):
    id: int
    purpose: str
    channel_kind: str
    channel_id: str | None
    recipient: str | None
    role: str | None
    status: str
    attempts: int
    created_at: datetime
    available_at: datetime
    delivered_at: datetime | None
    deadline: datetime | None
    last_error: str | None
    failover_rank: int


class IncidentNotifications(BaseModel):
    """The 5-minute rule per notified role, and every delivery (sent, failed, retried, escalated)."""

    sla: list[SlaRead]
    deliveries: list[DeliveryRead]
    all_met: bool | None


class ChannelRead(BaseModel):
    id: str
    type: str
    target: str
    secret_configured: bool
    last_success_at: datetime | None
    last_error_at: datetime | None
    last_error: str | None
    permanent_failure: bool
