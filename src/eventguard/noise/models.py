"""Silences, ad-hoc maintenance windows, the suppressions they caused and the pages they held."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from eventguard.db.base import Base, JSONType, UTCDateTime


class Silence(Base):
    """Alerts matching every matcher between ``starts_at`` and ``ends_at`` are kept, not paged."""

    __tablename__ = "silences"
    __table_args__ = (Index("ix_silences_event_ends", "event_id", "ends_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    matchers: Mapped[list[dict[str, str]]] = mapped_column(JSONType)  # [{name, op, value}]
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())
    comment: Mapped[str] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    source: Mapped[str] = mapped_column(String(16))  # api | cli | console | slack, feishu … (chat)
    expired_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    expired_by: Mapped[str | None] = mapped_column(String(120), default=None)


class MaintenanceWindow(Base):
    """An ad-hoc maintenance window (those of the plan are read from the plan): once, daily or
    weekly at the local wall time of ``starts_at`` in ``timezone``, for ``duration_seconds``."""

    __tablename__ = "maintenance_windows"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    matchers: Mapped[list[dict[str, str]]] = mapped_column(JSONType)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    duration_seconds: Mapped[int]
    repeat: Mapped[str] = mapped_column(String(8))  # once | daily | weekly
    until: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    timezone: Mapped[str] = mapped_column(String(64))
    created_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    # {components, title, body, announce_before_seconds, notify}: posted on the status page (0010)
    status_page: Mapped[dict[str, Any] | None] = mapped_column(JSONType, default=None)


class Suppression(Base):
    """Which rule (``silence:<id>``, ``window:<id>``, ``plan-window:<id>``) held how many alerts of
    an incident: one row per incident and rule, counted as the alerts come."""

    __tablename__ = "alert_suppressions"
    __table_args__ = (UniqueConstraint("incident_id", "rule"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))  # silence | maintenance
    rule: Mapped[str] = mapped_column(String(80))
    description: Mapped[str] = mapped_column(Text)
    alerts: Mapped[int] = mapped_column(default=0)
    fingerprints: Mapped[list[str]] = mapped_column(JSONType)  # the first few
    first_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_at: Mapped[datetime] = mapped_column(UTCDateTime())


class PagingHold(Base):
    """An incident whose every firing alert was suppressed when it opened: nobody is paged until an
    alert no rule holds joins it, or its rules end while it still fires (then it is released)."""

    __tablename__ = "paging_holds"

    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"), primary_key=True)
    held_at: Mapped[datetime] = mapped_column(UTCDateTime())
    rule: Mapped[str] = mapped_column(String(80))
    released_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    release_reason: Mapped[str | None] = mapped_column(Text, default=None)
    details: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)


class InhibitedAlert(Base):
    """An alert that joined a more severe open incident by an inhibition rule instead of opening
    its own: its later reports (the resolve) follow it there while that incident is open."""

    __tablename__ = "noise_inhibited_alerts"
    __table_args__ = (UniqueConstraint("event_id", "fingerprint"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    fingerprint: Mapped[str] = mapped_column(String(255))
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"), index=True)
    rule: Mapped[str] = mapped_column(String(80))
    joined_at: Mapped[datetime] = mapped_column(UTCDateTime())


class AlertFlap(Base):
    """The fire/resolve history of one alert (kept when the plan watches flapping): flapping while
    ``flapping_since`` is set, until it has not changed for the plan's ``within``."""

    __tablename__ = "noise_alert_flaps"
    __table_args__ = (UniqueConstraint("event_id", "fingerprint"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    fingerprint: Mapped[str] = mapped_column(String(255))
    incident_id: Mapped[int | None] = mapped_column(
        ForeignKey("incidents.id", ondelete="SET NULL"), default=None, index=True
    )
    history: Mapped[list[dict[str, str]]] = mapped_column(JSONType)  # [{at, status}], the latest few
    last_change_at: Mapped[datetime] = mapped_column(UTCDateTime())
    flapping_since: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None, index=True)
    times_flapping: Mapped[int] = mapped_column(default=0)


class IncidentReminder(Base):
    """The reminders sent for an incident (the plan's ``noise.reminders`` of its current level)."""

    __tablename__ = "noise_incident_reminders"

    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"), primary_key=True)
    sent: Mapped[int] = mapped_column(default=0)
    last_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_kind: Mapped[str] = mapped_column(String(16))  # unacknowledged | open


class MaintenancePost(Base):
    """One occurrence of a maintenance window posted as the status page's scheduled maintenance:
    announced, started, ended (each step once, with its subscriber notification)."""

    __tablename__ = "noise_maintenance_posts"
    __table_args__ = (UniqueConstraint("event_id", "window", "occurrence_start"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    window: Mapped[str] = mapped_column(String(80))  # plan-window:<id> | window:<id>
    occurrence_start: Mapped[datetime] = mapped_column(UTCDateTime())
    occurrence_end: Mapped[datetime] = mapped_column(UTCDateTime())
    maintenance_id: Mapped[int | None] = mapped_column(default=None)  # comms' maintenances.id
    announced_at: Mapped[datetime] = mapped_column(UTCDateTime())
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
