from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class PhaseRead(BaseModel):
    name: str
    start: datetime
    end: datetime


class EventPauseRead(BaseModel):
    """The event's open pause: since when, by whom, which incident (level) caused it."""

    model_config = ConfigDict(from_attributes=True)
    id: int
    incident_id: int | None
    level: int | None
    reason: str | None
    automatic: bool
    paused_at: datetime
    paused_by: str


class EventRead(BaseModel):
    id: int
    slug: str
    name: dict[str, str]
    timezone: str
    owner: str
    current_phase: str | None
    phases: list[PhaseRead]
    plan_version: int
    default_level: int
    group_by: list[str]
    paused: bool = Field(description="Whether the event is paused now (until a commander resumes it).")
    pause: EventPauseRead | None = None
