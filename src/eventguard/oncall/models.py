from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from eventguard.db.base import Base, UTCDateTime


class OnCallOverride(Base):
    """Someone put on call by hand for a window: wins over every layer of the schedule meanwhile.

    ``schedule_id`` and ``person_id`` are ids of the plan (schedules live in the plan, not here)."""

    __tablename__ = "oncall_overrides"
    __table_args__ = (
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        Index("ix_oncall_overrides_window", "event_id", "schedule_id", "ends_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    schedule_id: Mapped[str] = mapped_column(String(64))
    person_id: Mapped[str] = mapped_column(String(64))
    start: Mapped[datetime] = mapped_column("starts_at", UTCDateTime())
    end: Mapped[datetime] = mapped_column("ends_at", UTCDateTime())
    reason: Mapped[str | None] = mapped_column(Text, default=None)
    created_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
