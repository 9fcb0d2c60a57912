"""A probe's state (one row per event and plan probe id) and its newest results, a ring of
``RESULTS_KEPT`` slots per probe (bounded by construction: a result overwrites the slot of the one
``RESULTS_KEPT`` checks older)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from eventguard.db.base import Base, UTCDateTime

RESULTS_KEPT = 120
UNKNOWN, UP, DOWN = "unknown", "up", "down"


class ProbeState(Base):
    __tablename__ = "probe_states"
    __table_args__ = (UniqueConstraint("event_id", "probe_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    probe_id: Mapped[str] = mapped_column(String(64))  # the plan's id
    status: Mapped[str] = mapped_column(String(16), default=UNKNOWN)
    firing: Mapped[bool] = mapped_column(default=False)  # an alert was raised and not resolved yet
    failures: Mapped[int] = mapped_column(default=0)  # failed checks in a row
    seq: Mapped[int] = mapped_column(default=0)  # results written so far (the ring's position)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    paused: Mapped[bool] = mapped_column(default=False)
    paused_by: Mapped[str | None] = mapped_column(String(120), default=None)
    paused_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    latency_ms: Mapped[float | None] = mapped_column(default=None)
    detail: Mapped[str | None] = mapped_column(Text, default=None)
    # Pushed signals: the last heartbeat, the last pushed value (metric_threshold / participation).
    beat_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    value: Mapped[float | None] = mapped_column(default=None)
    value_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    crossed_since: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)  # for: duration


class ProbeResult(Base):
    __tablename__ = "probe_results"
    __table_args__ = (UniqueConstraint("state_id", "slot"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    state_id: Mapped[int] = mapped_column(ForeignKey("probe_states.id", ondelete="CASCADE"))
    slot: Mapped[int] = mapped_column()
    seq: Mapped[int] = mapped_column()
    checked_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ok: Mapped[bool] = mapped_column()
    latency_ms: Mapped[float | None] = mapped_column(default=None)
    detail: Mapped[str] = mapped_column(String(500), default="")
