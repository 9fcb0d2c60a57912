from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from eventguard.inputs import SafeStr
from eventguard.plans.schemas import SurveyTag


class ImportRead(BaseModel):
    imported: int
    skipped: int
    encoding: str
    errors: list[dict[str, Any]]


class ResponseRead(BaseModel):
    id: int
    source: str
    rating: int | None
    text: str
    submitted_at: datetime
    tags: list[str]


class EventColumnRead(BaseModel):
    slug: str
    name: str
    responses: int


class RankedTagRead(BaseModel):
    tag: str
    name: dict[str, str]
    total: int
    counts: list[int]
    shares: list[float]
    trend: float | None
    response_ids: list[int]


class RankingRead(BaseModel):
    events: list[EventColumnRead]
    tags: list[RankedTagRead]
    untagged: int


class TagsIn(BaseModel):
    """The complaint tags that replace the plan's ``surveys.tags`` (a new plan version)."""

    tags: list[SurveyTag] = Field(max_length=200)
    comment: SafeStr | None = Field(default=None, max_length=2000, description="The plan version's comment.")


class TagsEditedRead(BaseModel):
    version: int = Field(description="The plan version now in force.")
    changed: bool = Field(description="False when the tags were the same (no new version).")
    retagged: int = Field(description="Stored answers (of every event) whose tags changed.")
    answers: int
    tags: list[SurveyTag]
