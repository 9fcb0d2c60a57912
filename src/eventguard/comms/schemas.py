"""Comms API shapes: public update drafts, maintenances, component overrides, settings, subscribers,
announcement webhooks and backup-plan activations."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from eventguard.comms.models import MaintenanceStatus, PublicStatus, SubscriberKind, UpdateState
from eventguard.comms.statuspage.components import ComponentStatus
from eventguard.inputs import Count, SafeStr

VariableValue = SafeStr | dict[SafeStr, SafeStr]


class Localized(BaseModel):
    """The same text in both languages."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    zh_cn: SafeStr = Field(alias="zh-CN", min_length=1, max_length=10000)
    en: SafeStr = Field(min_length=1, max_length=10000)

    def as_dict(self) -> dict[str, str]:
        """``{"zh-CN": ..., "en": ...}`` as stored."""
        return {"zh-CN": self.zh_cn, "en": self.en}


class _Read(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class DraftIn(BaseModel):
    """A public update to draft or preview; what is left out comes from the incident and the plan."""

    model_config = ConfigDict(extra="forbid")

    status: PublicStatus | None = Field(
        None, description="investigating (default), identified, monitoring, resolved."
    )
    template_id: SafeStr | None = Field(None, description="An announcement template of the plan.")
    variables: dict[SafeStr, VariableValue] | None = Field(
        None, description="summary, impact, eta, backup_link, compensation: a text or a text per language."
    )
    title: Localized | None = Field(None, description="Hand-written title in both languages.")
    body: Localized | None = Field(None, description="Hand-written body in both languages.")
    components: list[SafeStr] | None = Field(None, description="Core functions shown as affected.")
    impact: Literal["none", "minor", "major", "critical"] | None = None


class WordingRead(BaseModel):
    title: dict[str, str]
    body: dict[str, str]


class PublicUpdateRead(_Read):
    id: int
    incident_id: int
    state: UpdateState
    status: PublicStatus
    impact: str
    components: list[str]
    template_id: str | None
    variables: dict[str, Any]
    title: dict[str, str]
    body: dict[str, str]
    edited: bool
    auto: bool
    required: bool
    is_drill: bool
    created_at: datetime
    created_by: str
    updated_at: datetime
    requested_by: str | None
    approved_by: str | None
    published_at: datetime | None
    published_by: str | None
    needs_approval: bool = False


class MaintenanceIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: Localized
    body: Localized
    components: list[SafeStr] = Field(default_factory=list)
    scheduled_for: AwareDatetime
    scheduled_until: AwareDatetime
    auto_transition: bool = Field(True, description="Start and complete by the clock.")
    notify: bool = Field(True, description="Tell subscribers and announcement webhooks.")


class MaintenanceStatusIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: MaintenanceStatus
    body: Localized
    notify: bool = True


class MaintenanceRead(BaseModel):
    id: int
    title: dict[str, str]
    components: list[str]
    status: MaintenanceStatus
    shown_status: MaintenanceStatus
    auto_transition: bool
    scheduled_for: datetime
    scheduled_until: datetime
    created_at: datetime
    created_by: str
    updated_at: datetime


class OverrideIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: ComponentStatus


class ComponentRead(BaseModel):
    id: str
    name: dict[str, str]
    status: ComponentStatus
    overridden: bool


class SettingsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    approval_levels: list[Count] | None = Field(
        None, description="Levels whose updates need a second commander."
    )
    reminder_minutes: Count | None = Field(
        None, description="Remind comms this often while a required draft waits."
    )


class SettingsRead(_Read):
    approval_levels: list[int]
    reminder_minutes: int
    version: int
    changed_at: datetime


class SubscribeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: SubscriberKind = SubscriberKind.email
    address: SafeStr = Field(max_length=2048, description="E-mail address, or the webhook URL.")
    components: list[SafeStr] = Field(default_factory=list, description="Only these components (empty: all).")
    language: Literal["zh-CN", "en"] | None = None


class SubscribedRead(BaseModel):
    """``secret`` only for a webhook, only in this answer."""

    status: Literal["confirmation_sent", "subscribed"]
    id: int | None = None
    secret: str | None = None
    unsubscribe_url: str | None = None


class SubscriberRead(_Read):
    id: int
    kind: SubscriberKind
    address: str
    components: list[str]
    language: str
    created_at: datetime
    confirmed_at: datetime | None
    unsubscribed_at: datetime | None


class WebhookIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: SafeStr = Field(max_length=2048)
    name: SafeStr = Field("", max_length=120)


class WebhookRead(_Read):
    id: int
    name: str
    url: str
    created_at: datetime
    created_by: str
    disabled_at: datetime | None


class WebhookCreated(WebhookRead):
    secret: str = Field(description="Shown only in this answer: verify the webhook-signature header with it.")


class BackupRead(_Read):
    id: int
    incident_id: int
    backup_id: str
    activated_at: datetime
    activated_by: str
    deactivated_at: datetime | None
    deactivated_by: str | None


class BackupPlanRead(BaseModel):
    """A backup plan of the incident's scenario (or of the plan) and whether it is on now."""

    id: str
    kind: str
    name: dict[str, str]
    links: list[str]
    active: bool
    suggested: bool
