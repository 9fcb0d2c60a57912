"""Request and answer shapes of the noise API."""

from __future__ import annotations

from datetime import timedelta
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from eventguard.inputs import SafeStr


class MatcherIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: SafeStr = Field(min_length=1, max_length=100, description="Label name.")
    op: Literal["=", "!=", "=~", "!~"] = Field(default="=", description="Alertmanager's operators.")
    value: SafeStr = Field(max_length=1000, description="Regexes are anchored; a missing label is empty.")


class SilenceCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    matchers: list[MatcherIn] = Field(min_length=1, max_length=50, description="All must match (AND).")
    starts_at: AwareDatetime | None = Field(default=None, description="Default: now.")
    ends_at: AwareDatetime | None = Field(default=None, description="Give ends_at or duration.")
    duration: timedelta | None = Field(default=None, description="ISO 8601 or seconds, from starts_at.")
    comment: SafeStr = Field(min_length=1, max_length=2000, description="Why (shown on held incidents).")


class SilenceRead(BaseModel):
    id: int
    event_id: int
    matchers: list[MatcherIn]
    starts_at: str
    ends_at: str
    comment: str
    created_by: str
    created_at: str
    source: str
    state: Literal["pending", "active", "expired"]
    expired_at: str | None
    expired_by: str | None


class StatusPageIn(BaseModel):
    """Post each occurrence as the status page's scheduled maintenance (see docs/noise.md)."""

    model_config = ConfigDict(extra="forbid")
    components: list[SafeStr] = Field(min_length=1, max_length=50, description="Core function ids.")
    title: dict[Literal["zh-CN", "en"], SafeStr] | None = Field(
        default=None, description="Default: the name."
    )
    body: dict[Literal["zh-CN", "en"], SafeStr] | None = None
    announce_before: timedelta = Field(default=timedelta(hours=24), description="Posted this long ahead.")
    notify: bool = Field(default=True, description="Tell subscribers when posted, at start and at end.")


class StatusPageRead(BaseModel):
    components: list[str]
    title: dict[str, str] | None
    body: dict[str, str] | None
    announce_before_seconds: int
    notify: bool


class WindowCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: SafeStr = Field(min_length=1, max_length=200)
    matchers: list[MatcherIn] = Field(min_length=1, max_length=50)
    starts_at: AwareDatetime = Field(description="The first occurrence; repeats keep its local wall time.")
    duration: timedelta = Field(description="ISO 8601 or seconds.")
    repeat: Literal["once", "daily", "weekly"] = "once"
    until: AwareDatetime | None = None
    status_page: StatusPageIn | None = Field(default=None, description="Post it on the status page.")


class WindowRead(BaseModel):
    id: int | str
    origin: Literal["api", "plan"]
    name: str
    matchers: list[MatcherIn]
    starts_at: str
    duration_seconds: int
    repeat: str
    until: str | None
    timezone: str
    created_by: str
    active: bool
    current_start: str | None
    next_start: str | None
    status_page: StatusPageRead | None = None


class SuppressionRead(BaseModel):
    rule: str
    kind: str
    description: str
    alerts: int
    fingerprints: list[str]
    first_at: str
    last_at: str


class HoldRead(BaseModel):
    held: bool
    rule: str | None = None
    held_at: str | None = None
    released_at: str | None = None
    release_reason: str | None = None


class FlapChange(BaseModel):
    at: str
    status: Literal["firing", "resolved"]


class FlapRead(BaseModel):
    fingerprint: str
    flapping: bool
    flapping_since: str | None
    times_flapping: int = Field(description="How often it was marked flapping.")
    history: list[FlapChange] = Field(description="Its latest fire/resolve changes, oldest first.")


class ReminderRead(BaseModel):
    sent: int = 0
    last_at: str | None = None
    last_kind: Literal["unacknowledged", "open"] | None = None


class IncidentNoise(BaseModel):
    hold: HoldRead
    suppressions: list[SuppressionRead]
    flapping: list[FlapRead] = Field(default_factory=list, description="Its alerts' fire/resolve history.")
    reminders: ReminderRead = Field(default_factory=ReminderRead)
