from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from eventguard.db.base import Base, UTCDateTime


class Event(Base):
    """An online event (livestream, conference, launch, sale).

    Its plan lives in immutable plan versions; the newest version is the one in force (going back
    means applying an older version again, which makes a new, newest version)."""

    __tablename__ = "events"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    timezone: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class EventPause(Base):
    """The event stopped (seed level 1: 立即停止活动): from ``paused_at`` until a commander resumes it.

    At most one pause of an event is open (``resumed_at`` NULL); the closed ones stay as history."""

    __tablename__ = "event_pauses"
    __table_args__ = (Index("ix_event_pauses_event_open", "event_id", "resumed_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    # The incident whose level paused it (None: paused by hand without one).
    incident_id: Mapped[int | None] = mapped_column(
        ForeignKey("incidents.id", ondelete="SET NULL"), default=None
    )
    level: Mapped[int | None] = mapped_column(default=None)
    reason: Mapped[str | None] = mapped_column(Text, default=None)
    automatic: Mapped[bool] = mapped_column(default=False)  # by the level's pause_activity
    paused_at: Mapped[datetime] = mapped_column(UTCDateTime())
    paused_by: Mapped[str] = mapped_column(String(120))
    resumed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    resumed_by: Mapped[str | None] = mapped_column(String(120), default=None)
    resume_note: Mapped[str | None] = mapped_column(Text, default=None)
