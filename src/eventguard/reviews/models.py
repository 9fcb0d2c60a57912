"""Postmortems (复盘报告), their versions, and the action items that can become plan revisions."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import Enum, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from eventguard.db.base import Base, JSONType, UTCDateTime


class PostmortemStatus(enum.StrEnum):
    draft = "draft"
    in_review = "in_review"
    approved = "approved"


class ActionItemStatus(enum.StrEnum):
    open = "open"
    in_progress = "in_progress"
    done = "done"
    wont_do = "wont_do"


def _enum(kind: type[enum.StrEnum]) -> Enum:
    return Enum(kind, native_enum=False, length=16, validate_strings=True)


class Postmortem(Base):
    """One incident's postmortem: its document (the sections, pre-filled from the incident), the
    timeline frozen when it was created, its review state. Every edit is a new version."""

    __tablename__ = "postmortems"
    __table_args__ = (Index("ix_postmortems_event_status", "event_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"), unique=True)
    is_drill: Mapped[bool] = mapped_column(default=False)
    status: Mapped[PostmortemStatus] = mapped_column(_enum(PostmortemStatus))
    version: Mapped[int] = mapped_column(default=1)
    title: Mapped[str] = mapped_column(String(300))
    document: Mapped[dict[str, Any]] = mapped_column(JSONType)
    timeline: Mapped[list[dict[str, Any]]] = mapped_column(JSONType)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_by: Mapped[str] = mapped_column(String(120))
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    approved_by: Mapped[str | None] = mapped_column(String(120), default=None)


class PostmortemVersion(Base):
    """The document as it was after each edit (append-only)."""

    __tablename__ = "postmortem_versions"
    __table_args__ = (UniqueConstraint("postmortem_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    postmortem_id: Mapped[int] = mapped_column(ForeignKey("postmortems.id", ondelete="CASCADE"))
    number: Mapped[int]
    document: Mapped[dict[str, Any]] = mapped_column(JSONType)
    edited_at: Mapped[datetime] = mapped_column(UTCDateTime())
    edited_by: Mapped[str] = mapped_column(String(120))


class ActionItem(Base):
    """Something to improve, owned by a team, due on a date; it may propose a plan change, which,
    accepted, becomes a new plan version linked back here."""

    __tablename__ = "action_items"
    __table_args__ = (Index("ix_action_items_event_status", "event_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    postmortem_id: Mapped[int | None] = mapped_column(
        ForeignKey("postmortems.id", ondelete="CASCADE"), default=None, index=True
    )
    incident_id: Mapped[int | None] = mapped_column(
        ForeignKey("incidents.id", ondelete="SET NULL"), default=None
    )
    drill_run_id: Mapped[int | None] = mapped_column(default=None)
    title: Mapped[str] = mapped_column(String(300))
    owner_team: Mapped[str] = mapped_column(String(64))
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    status: Mapped[ActionItemStatus] = mapped_column(_enum(ActionItemStatus))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_by: Mapped[str] = mapped_column(String(120))
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    proposed_plan: Mapped[str | None] = mapped_column(Text, default=None)  # a whole plan YAML
    proposed_by: Mapped[str | None] = mapped_column(String(120), default=None)
    plan_version_id: Mapped[int | None] = mapped_column(default=None)  # the version accepting it made
    plan_version_number: Mapped[int | None] = mapped_column(default=None)
    base_version_number: Mapped[int | None] = mapped_column(default=None)  # the version it changed
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    accepted_by: Mapped[str | None] = mapped_column(String(120), default=None)
