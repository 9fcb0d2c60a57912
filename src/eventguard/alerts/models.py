from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from sqlalchemy import ForeignKey, Index, String, Table, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from eventguard.db.base import Base, JSONType, UTCDateTime


class Integration(Base):
    """An alert sender bound to one event, authenticated by its own token (hashed at rest)."""

    __tablename__ = "integrations"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(32))  # an alert format name: alertmanager, grafana, …
    token_prefix: Mapped[str] = mapped_column(String(16), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # Optional shared secret for senders that sign their bodies (Grafana's HMAC option).
    hmac_secret: Mapped[str | None] = mapped_column(String(128), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_by: Mapped[str] = mapped_column(String(120))
    last_received_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)


class AlertBatch(Base):
    """One accepted request exactly as received: the durable record behind every 2xx answer."""

    __tablename__ = "alert_batches"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    integration_id: Mapped[int | None] = mapped_column(
        ForeignKey("integrations.id", ondelete="SET NULL"), default=None
    )
    source: Mapped[str] = mapped_column(String(32))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())
    alert_count: Mapped[int]
    payload: Mapped[dict[str, Any]] = mapped_column(JSONType)


class Alert(Base):
    """One alert, identified by its fingerprint within an event; repeats update this row."""

    __tablename__ = "alerts"
    __table_args__ = (
        UniqueConstraint("event_id", "fingerprint"),
        Index("ix_alerts_incident_status", "incident_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    fingerprint: Mapped[str] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(16))  # firing | resolved
    source: Mapped[str] = mapped_column(String(32))
    summary: Mapped[str] = mapped_column(String(1024))
    severity: Mapped[str | None] = mapped_column(String(16), default=None)
    labels: Mapped[dict[str, str]] = mapped_column(JSONType)
    annotations: Mapped[dict[str, str]] = mapped_column(JSONType)
    group_key: Mapped[str] = mapped_column(String(512))
    scenario_id: Mapped[str | None] = mapped_column(String(64), default=None)
    level: Mapped[int]
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    generator_url: Mapped[str | None] = mapped_column(Text, default=None)
    first_received_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_received_at: Mapped[datetime] = mapped_column(UTCDateTime())
    receive_count: Mapped[int] = mapped_column(default=1)
    incident_id: Mapped[int | None] = mapped_column(
        ForeignKey("incidents.id", ondelete="SET NULL"), default=None
    )


alert_table = cast(Table, Alert.__table__)  # for Core statements over many rows
alert_batch_table = cast(Table, AlertBatch.__table__)
