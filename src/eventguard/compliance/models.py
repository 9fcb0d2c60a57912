"""A reportable incident (its grade), the reporting deadlines it started and their reminders."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from eventguard.db.base import Base, JSONType, UTCDateTime


class ReportableMark(Base):
    """An incident marked reportable: its grade and what data it concerns, from when we knew."""

    __tablename__ = "compliance_marks"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"), unique=True)
    grade: Mapped[str] = mapped_column(String(24))  # general | significant | major | especially_major
    personal_data: Mapped[bool] = mapped_column(default=False)
    eu_personal_data: Mapped[bool] = mapped_column(default=False)
    aware_at: Mapped[datetime] = mapped_column(UTCDateTime())  # the deadlines count from here
    marked_at: Mapped[datetime] = mapped_column(UTCDateTime())
    marked_by: Mapped[str] = mapped_column(String(120))
    note: Mapped[str | None] = mapped_column(Text, default=None)


class ReportDeadline(Base):
    """One duty to report (a plan rule) of a reportable incident, its draft and when it was sent."""

    __tablename__ = "compliance_deadlines"
    __table_args__ = (Index("ix_compliance_deadlines_incident", "incident_id", "rule_id", unique=True),)

    id: Mapped[int] = mapped_column(primary_key=True)
    mark_id: Mapped[int] = mapped_column(ForeignKey("compliance_marks.id", ondelete="CASCADE"), index=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"))
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    rule_id: Mapped[str] = mapped_column(String(64))
    rule: Mapped[dict[str, Any]] = mapped_column(JSONType)  # the rule as it was when the timer started
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    status: Mapped[str] = mapped_column(String(16), default="open")  # open | sent | withdrawn
    draft: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)  # [{label, value}]
    draft_updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    draft_updated_by: Mapped[str | None] = mapped_column(String(120), default=None)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    sent_by: Mapped[str | None] = mapped_column(String(120), default=None)  # who sent it (a person)
    sent_to: Mapped[str | None] = mapped_column(String(300), default=None)  # which authority
    reference: Mapped[str | None] = mapped_column(String(200), default=None)  # the authority's receipt
    recorded_by: Mapped[str | None] = mapped_column(String(120), default=None)
    recorded_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)


class DeadlineReminder(Base):
    """When the legal team is told about a deadline: at a fraction of the time, before it, at expiry."""

    __tablename__ = "compliance_reminders"
    __table_args__ = (Index("ix_compliance_reminders_due", "fired_at", "due_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    deadline_id: Mapped[int] = mapped_column(
        ForeignKey("compliance_deadlines.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(16))  # fraction | before | expired
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    fired_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
