"""Postmortem and action item API shapes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from eventguard.inputs import Count, SafeStr
from eventguard.reviews.models import ActionItemStatus, PostmortemStatus


class _Read(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class PostmortemRead(_Read):
    id: int
    event_id: int
    incident_id: int
    is_drill: bool
    status: PostmortemStatus
    version: int
    title: str
    due_at: datetime
    created_at: datetime
    updated_at: datetime
    updated_by: str
    approved_at: datetime | None
    approved_by: str | None


class ActionItemRead(_Read):
    id: int
    event_id: int
    postmortem_id: int | None
    incident_id: int | None
    drill_run_id: int | None = Field(default=None, description="The drill run whose evaluation it came from.")
    title: str
    owner_team: str
    due_at: datetime
    status: ActionItemStatus
    created_at: datetime
    created_by: str
    closed_at: datetime | None
    has_plan_change: bool = Field(default=False, description="Whether it proposes a plan change.")
    base_version_number: int | None
    plan_version_number: int | None = Field(description="The plan version accepting it created.")
    accepted_at: datetime | None
    accepted_by: str | None


class VersionRead(_Read):
    number: int
    edited_at: datetime
    edited_by: str


class PostmortemDetail(PostmortemRead):
    document: dict[str, Any] = Field(description="sections (text by name) and facts.")
    timeline: list[dict[str, Any]]
    versions: list[VersionRead]
    action_items: list[ActionItemRead]


class PostmortemEdit(BaseModel):
    sections: dict[SafeStr, SafeStr] = Field(default_factory=dict, max_length=20)
    participants_affected: Count | None = None


class ActionItemIn(BaseModel):
    title: SafeStr = Field(min_length=1, max_length=300)
    owner_team: SafeStr = Field(max_length=64)
    due_at: AwareDatetime


class ActionItemStatusIn(BaseModel):
    status: ActionItemStatus


class PlanChangeIn(BaseModel):
    source: SafeStr = Field(min_length=1, max_length=2 * 1024 * 1024, description="The whole plan, YAML.")
