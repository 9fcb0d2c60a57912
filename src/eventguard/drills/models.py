"""A drill run of a plan's drill: its injections (live) or recorded answers (tabletop), its score."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Enum, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from eventguard.db.base import Base, JSONType, UTCDateTime


class DrillStatus(enum.StrEnum):
    planned = "planned"
    running = "running"
    finished = "finished"
    cancelled = "cancelled"


def _enum(kind: type[enum.StrEnum]) -> Enum:
    return Enum(kind, native_enum=False, length=16, validate_strings=True)


class DrillRun(Base):
    """One run of a drill of the plan (``drill_id``), frozen on the plan version it started with."""

    __tablename__ = "drill_runs"
    __table_args__ = (Index("ix_drill_runs_event_status", "event_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    drill_id: Mapped[str] = mapped_column(String(64))
    scenario_id: Mapped[str] = mapped_column(String(64))
    mode: Mapped[str] = mapped_column(String(16))  # live | tabletop
    status: Mapped[DrillStatus] = mapped_column(_enum(DrillStatus))
    plan_version_id: Mapped[int | None] = mapped_column(default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_by: Mapped[str] = mapped_column(String(120))
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    finished_by: Mapped[str | None] = mapped_column(String(120), default=None)
    score: Mapped[int | None] = mapped_column(default=None)  # 0-100, set when finished
    passed: Mapped[bool | None] = mapped_column(default=None)
    scorecard: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    notes: Mapped[str | None] = mapped_column(Text, default=None)  # the facilitator's observations


class DrillInjection(Base):
    """One scripted step of a live run: due at start + offset, written to the intake journal once."""

    __tablename__ = "drill_injections"
    __table_args__ = (
        UniqueConstraint("run_id", "position"),
        Index("ix_drill_injections_due", "injected_at", "due_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("drill_runs.id", ondelete="CASCADE"))
    position: Mapped[int]
    kind: Mapped[str] = mapped_column(String(32))  # alert | probe_failure | complaint | channel_down
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    injected_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    journal_id: Mapped[int | None] = mapped_column(BigInteger(), default=None)
    alert: Mapped[dict[str, Any]] = mapped_column(JSONType)  # the generic alert it injects


class DrillAnswer(Base):
    """A tabletop answer, recorded by the facilitator, with a rating against the expected answer."""

    __tablename__ = "drill_answers"
    __table_args__ = (UniqueConstraint("run_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("drill_runs.id", ondelete="CASCADE"), index=True)
    position: Mapped[int]
    answer: Mapped[str] = mapped_column(Text)
    team: Mapped[str | None] = mapped_column(String(64), default=None)
    rating: Mapped[int] = mapped_column(default=0)  # 0 missed, 1 partly, 2 as the plan expects
    answered_by: Mapped[str] = mapped_column(String(120))
    answered_at: Mapped[datetime] = mapped_column(UTCDateTime())
