from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel


class PhaseRead(BaseModel):
    name: str
    start: datetime
    end: datetime


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
