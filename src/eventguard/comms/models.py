"""What participants are told, and how: public updates (drafts until published), maintenances,
subscribers, announcement webhooks, backup-plan activations, component overrides, and each event's
status page settings with its change counter."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import Enum, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from eventguard.db.base import Base, JSONType, UTCDateTime


class PublicStatus(enum.StrEnum):
    """Statuspage's incident statuses: what a public update says about the problem."""

    investigating = "investigating"
    identified = "identified"
    monitoring = "monitoring"
    resolved = "resolved"


class UpdateState(enum.StrEnum):
    draft = "draft"
    pending_approval = "pending_approval"  # a commander asked to publish; a second one must approve
    published = "published"
    discarded = "discarded"


class MaintenanceStatus(enum.StrEnum):
    scheduled = "scheduled"
    in_progress = "in_progress"
    verifying = "verifying"
    completed = "completed"


class SubscriberKind(enum.StrEnum):
    email = "email"
    webhook = "webhook"


def _enum(kind: type[enum.StrEnum]) -> Enum:
    return Enum(kind, native_enum=False, length=20, validate_strings=True)


class StatusPage(Base):
    """One event's status page: its comms settings and a change counter bumped by every public change."""

    __tablename__ = "status_pages"

    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), primary_key=True)
    # Levels whose public updates need a second commander's approval (seed: PR statement approval).
    approval_levels: Mapped[list[int]] = mapped_column(JSONType)
    reminder_minutes: Mapped[int]  # remind comms this often while a required draft is unpublished
    version: Mapped[int] = mapped_column(default=0)
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime())


class PublicUpdate(Base):
    """A public update of an incident: written from the plan's announcement templates in both
    languages, previewed as a draft, published by a commander (and approved by a second one when
    the level says so). Only published updates ever reach the status page, feed and subscribers."""

    __tablename__ = "public_updates"
    __table_args__ = (Index("ix_public_updates_event_state", "event_id", "state"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"), index=True)
    state: Mapped[UpdateState] = mapped_column(_enum(UpdateState))
    status: Mapped[PublicStatus] = mapped_column(_enum(PublicStatus))
    impact: Mapped[str] = mapped_column(String(16))  # none | minor | major | critical
    components: Mapped[list[str]] = mapped_column(JSONType)  # core function ids shown as affected
    template_id: Mapped[str | None] = mapped_column(String(64), default=None)
    variables: Mapped[dict[str, Any]] = mapped_column(JSONType)  # the ones given explicitly
    title: Mapped[dict[str, str]] = mapped_column(JSONType)  # {"zh-CN": ..., "en": ...}
    body: Mapped[dict[str, str]] = mapped_column(JSONType)
    edited: Mapped[bool] = mapped_column(default=False)  # text written by hand, not from the template
    auto: Mapped[bool] = mapped_column(default=False)  # drafted by EventGuard because the level requires it
    required: Mapped[bool] = mapped_column(default=False)  # comms is reminded until it is published
    is_drill: Mapped[bool] = mapped_column(default=False)  # a drill rehearses publishing; nothing goes out
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_by: Mapped[str] = mapped_column(String(120))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    requested_by: Mapped[str | None] = mapped_column(String(120), default=None)
    requested_by_id: Mapped[int | None] = mapped_column(default=None)
    approved_by: Mapped[str | None] = mapped_column(String(120), default=None)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    published_by: Mapped[str | None] = mapped_column(String(120), default=None)
    fanned_out_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    reminders: Mapped[int] = mapped_column(default=0)


class Maintenance(Base):
    """Scheduled maintenance of some components, shown on the status page (Statuspage's shape)."""

    __tablename__ = "maintenances"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    title: Mapped[dict[str, str]] = mapped_column(JSONType)
    components: Mapped[list[str]] = mapped_column(JSONType)
    status: Mapped[MaintenanceStatus] = mapped_column(_enum(MaintenanceStatus))
    # Moves to in_progress at scheduled_for and to completed at scheduled_until by itself.
    auto_transition: Mapped[bool] = mapped_column(default=True)
    scheduled_for: Mapped[datetime] = mapped_column(UTCDateTime())
    scheduled_until: Mapped[datetime] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_by: Mapped[str] = mapped_column(String(120))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class MaintenanceUpdate(Base):
    """A published message of a maintenance (its creation and every status change)."""

    __tablename__ = "maintenance_updates"

    id: Mapped[int] = mapped_column(primary_key=True)
    maintenance_id: Mapped[int] = mapped_column(ForeignKey("maintenances.id", ondelete="CASCADE"), index=True)
    status: Mapped[MaintenanceStatus] = mapped_column(_enum(MaintenanceStatus))
    body: Mapped[dict[str, str]] = mapped_column(JSONType)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_by: Mapped[str] = mapped_column(String(120))
    notify: Mapped[bool] = mapped_column(default=True)
    fanned_out_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)


class Subscriber(Base):
    """A participant who gets published updates by e-mail (after double opt-in) or webhook."""

    __tablename__ = "subscribers"
    __table_args__ = (UniqueConstraint("event_id", "kind", "address"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    kind: Mapped[SubscriberKind] = mapped_column(_enum(SubscriberKind))
    address: Mapped[str] = mapped_column(String(2048))  # e-mail address or webhook URL
    components: Mapped[list[str]] = mapped_column(JSONType)  # empty: every component
    language: Mapped[str] = mapped_column(String(8))
    secret: Mapped[str | None] = mapped_column(String(128), default=None)  # whsec_… of a webhook
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    confirmation_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    confirmations_sent: Mapped[int] = mapped_column(default=0)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    unsubscribed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)

    @property
    def is_active(self) -> bool:
        """Confirmed and not cancelled: gets updates."""
        return self.confirmed_at is not None and self.unsubscribed_at is None


class AnnouncementWebhook(Base):
    """The event site's banner or a social-media tool: gets every published text in both languages."""

    __tablename__ = "announcement_webhooks"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    url: Mapped[str] = mapped_column(String(2048))
    secret: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_by: Mapped[str] = mapped_column(String(120))
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)


class BackupActivation(Base):
    """A backup plan of the plan switched on for an incident (and later off)."""

    __tablename__ = "backup_activations"
    __table_args__ = (
        # One active activation per incident and backup plan; NULL once deactivated (NULLs never collide).
        UniqueConstraint("active_key"),
        Index("ix_backup_activations_event", "event_id", "deactivated_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"), index=True)
    backup_id: Mapped[str] = mapped_column(String(64))
    active_key: Mapped[str | None] = mapped_column(String(160), default=None)
    is_drill: Mapped[bool] = mapped_column(default=False)  # a drill's switch-over is never public
    activated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    activated_by: Mapped[str] = mapped_column(String(120))
    deactivated_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    deactivated_by: Mapped[str | None] = mapped_column(String(120), default=None)


class ComponentOverride(Base):
    """A component status set by hand by comms, shown instead of the derived one until cleared."""

    __tablename__ = "component_overrides"
    __table_args__ = (UniqueConstraint("event_id", "component_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    component_id: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(32))
    set_at: Mapped[datetime] = mapped_column(UTCDateTime())
    set_by: Mapped[str] = mapped_column(String(120))
