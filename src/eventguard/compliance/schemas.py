"""Compliance API shapes."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from eventguard.inputs import SafeStr

Grade = Literal["general", "significant", "major", "especially_major"]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ReportableIn(_In):
    grade: Grade = Field(description="一般 general, 较大 significant, 重大 major, 特别重大 especially_major.")
    personal_data: bool = Field(default=False, description="Personal information leaked, altered or lost.")
    eu_personal_data: bool = Field(default=False, description="Personal data of EU residents concerned.")
    aware_at: AwareDatetime | None = Field(
        default=None, description="When it became known (default: opened)."
    )
    note: SafeStr | None = Field(default=None, max_length=2000)


class DraftIn(_In):
    values: dict[int, SafeStr] = Field(description="Field position -> text.", max_length=50)


class SentIn(_In):
    sent_at: AwareDatetime
    sent_by: SafeStr = Field(min_length=1, max_length=120, description="Who sent the report.")
    sent_to: SafeStr = Field(min_length=1, max_length=300, description="The authority it went to.")
    reference: SafeStr | None = Field(
        default=None, max_length=200, description="The authority's receipt number."
    )
    partial: bool = Field(
        default=False, description="Phased report: fields may still be empty (rules that allow it)."
    )


class MarkRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    incident_id: int
    grade: str
    personal_data: bool
    eu_personal_data: bool
    aware_at: datetime
    marked_at: datetime
    marked_by: str
    note: str | None


class DeadlineRead(BaseModel):
    id: int
    incident_id: int
    rule_id: str
    name: dict[str, str]
    authority: dict[str, str]
    source: str
    statutory: bool
    phased: bool
    notify_individuals: bool
    started_at: datetime
    due_at: datetime
    status: str
    seconds_left: int
    overdue: bool
    draft: list[dict[str, Any]]
    sent_at: datetime | None
    sent_by: str | None
    sent_to: str | None
    reference: str | None
    on_time: bool | None


class ComplianceRead(BaseModel):
    mark: MarkRead | None
    deadlines: list[DeadlineRead]
