"""Drill API shapes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from eventguard.drills.models import DrillStatus
from eventguard.inputs import Id, SafeStr


class _Read(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class DrillRunRead(_Read):
    id: int
    event_id: int
    drill_id: str
    scenario_id: str
    mode: str
    status: DrillStatus
    plan_version_id: int | None
    created_at: datetime
    created_by: str
    started_at: datetime | None
    finished_at: datetime | None
    finished_by: str | None
    score: int | None
    passed: bool | None
    notes: str | None


class InjectionRead(_Read):
    position: int
    kind: str
    due_at: datetime
    injected_at: datetime | None
    journal_id: int | None
    alert: dict[str, Any]


class AnswerRead(_Read):
    position: int
    answer: str
    team: str | None
    rating: int
    answered_by: str
    answered_at: datetime


class CriterionRead(BaseModel):
    key: str
    title: str = Field(description="In the request's language.")
    points: int = Field(description="0-100.")
    met: bool
    target_seconds: float | None
    actual_seconds: float | None
    team: str | None
    detail: dict[str, Any]


class ScorecardRead(BaseModel):
    score: int = Field(description="Mean of the criteria, 0-100.")
    passed: bool
    pass_score: int
    incident_id: int | None = Field(description="The drill incident a live run is scored on.")
    criteria: list[CriterionRead]
    teams: dict[str, int] = Field(description="Mean points of each team's criteria.")


class DrillRunDetail(DrillRunRead):
    event_slug: str
    incident_ids: list[int]
    injections: list[InjectionRead]
    answers: list[AnswerRead]
    scorecard: ScorecardRead = Field(description="Kept when finished; as it stands while running.")


class DrillStart(BaseModel):
    event: SafeStr = Field(max_length=64, description="Event slug.")
    drill: SafeStr = Field(max_length=64, description="Id of a drill of the event's plan.")


class AnswerIn(BaseModel):
    position: Id = Field(description="Tabletop step, 1-based.")
    answer: SafeStr = Field(min_length=1, max_length=10_000)
    rating: int = Field(ge=0, le=2, description="0 missed, 1 partly, 2 as the plan expects.")
    team: SafeStr | None = Field(default=None, max_length=64, description="Team that answered.")


class FinishIn(BaseModel):
    notes: SafeStr | None = Field(default=None, max_length=20_000, description="The facilitator's notes.")
