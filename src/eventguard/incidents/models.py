from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import Enum, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from eventguard.db.base import Base, JSONType, UTCDateTime


class IncidentStatus(enum.StrEnum):
    triggered = "triggered"
    acknowledged = "acknowledged"
    mitigating = "mitigating"
    monitoring = "monitoring"
    resolved = "resolved"
    reviewed = "reviewed"


class IncidentRole(enum.StrEnum):
    """Roles on an incident (seed 03 职责): who leads, fixes, coordinates, speaks, advises, writes."""

    commander = "commander"
    tech_lead = "tech_lead"
    ops_lead = "ops_lead"
    comms = "comms"
    legal = "legal"
    scribe = "scribe"


class TaskStatus(enum.StrEnum):
    pending = "pending"
    in_progress = "in_progress"
    done = "done"
    skipped = "skipped"


def _enum(kind: type[enum.StrEnum]) -> Enum:
    return Enum(kind, native_enum=False, length=16, validate_strings=True)


class Incident(Base):
    __tablename__ = "incidents"
    __table_args__ = (
        # One open incident per alert group: the database, not a process lock, enforces it.
        UniqueConstraint("event_id", "open_group_key"),
        Index("ix_incidents_event_status", "event_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(300))
    # Where the title comes from: None = the first alert's text, "scenario" = shown as the plan's
    # scenario name (in the reader's language), "manual" = declared by hand, "commander" = renamed.
    title_source: Mapped[str | None] = mapped_column(String(16), default=None)
    status: Mapped[IncidentStatus] = mapped_column(_enum(IncidentStatus))
    level: Mapped[int]
    scenario_id: Mapped[str | None] = mapped_column(String(64), default=None)
    kind: Mapped[str | None] = mapped_column(
        String(32), default=None
    )  # technical|security|content|participation
    core_functions: Mapped[list[str]] = mapped_column(JSONType, default=list)
    impact: Mapped[str | None] = mapped_column(Text, default=None)
    group_key: Mapped[str] = mapped_column(String(512))
    # Equals group_key while the incident is open, NULL once resolved (NULLs never collide).
    open_group_key: Mapped[str | None] = mapped_column(String(512), default=None)
    source: Mapped[str] = mapped_column(String(32))  # alert format name, "manual" or "drill"
    is_drill: Mapped[bool] = mapped_column(default=False)
    phase: Mapped[str | None] = mapped_column(String(16), default=None)
    plan_version_id: Mapped[int | None] = mapped_column(default=None)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime())
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    mitigating_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    monitoring_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    last_alert_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    # When the last "alert" timeline entry was written: a storm's new alerts get one entry a minute.
    alert_entry_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    alert_count: Mapped[int] = mapped_column(default=0)
    firing_count: Mapped[int] = mapped_column(default=0)
    eta: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    merged_into_id: Mapped[int | None] = mapped_column(
        ForeignKey("incidents.id", ondelete="SET NULL"), default=None
    )
    declared_by: Mapped[str | None] = mapped_column(String(120), default=None)
    # Frozen when the incident opens: the raw alerts and labels that caused it (seed: back up abnormal data).
    evidence: Mapped[dict[str, Any]] = mapped_column(JSONType)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

    @property
    def is_open(self) -> bool:
        return self.status not in (IncidentStatus.resolved, IncidentStatus.reviewed)


class TimelineEntry(Base):
    """Append-only history of an incident: alerts, state changes, notes, roles, notifications, updates."""

    __tablename__ = "incident_timeline"

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    kind: Mapped[str] = mapped_column(String(32))
    actor_type: Mapped[str] = mapped_column(String(16))
    actor_name: Mapped[str] = mapped_column(String(120))
    actor_id: Mapped[int | None] = mapped_column(default=None)
    text: Mapped[str | None] = mapped_column(Text, default=None)
    data: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)


class RoleAssignment(Base):
    __tablename__ = "incident_roles"
    __table_args__ = (UniqueConstraint("incident_id", "role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"), index=True)
    role: Mapped[IncidentRole] = mapped_column(_enum(IncidentRole))
    person_id: Mapped[str | None] = mapped_column(String(64), default=None)  # a person of the plan
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), default=None)
    team_id: Mapped[str | None] = mapped_column(String(64), default=None)
    assigned_at: Mapped[datetime] = mapped_column(UTCDateTime())
    assigned_by: Mapped[str] = mapped_column(String(120))


class RunbookTask(Base):
    """One runbook step of the incident's scenario, in restore order of the affected core functions."""

    __tablename__ = "incident_tasks"
    __table_args__ = (UniqueConstraint("incident_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"), index=True)
    position: Mapped[int]
    step_id: Mapped[str] = mapped_column(String(64))
    title: Mapped[dict[str, str]] = mapped_column(JSONType)  # {"zh-CN": ..., "en": ...}
    details: Mapped[dict[str, str] | None] = mapped_column(JSONType, default=None)
    owner_team: Mapped[str] = mapped_column(String(64))
    core_function: Mapped[str | None] = mapped_column(String(64), default=None)
    status: Mapped[TaskStatus] = mapped_column(_enum(TaskStatus), default=TaskStatus.pending)
    skip_reason: Mapped[str | None] = mapped_column(Text, default=None)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    finished_by: Mapped[str | None] = mapped_column(String(120), default=None)
