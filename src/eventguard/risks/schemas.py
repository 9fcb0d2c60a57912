"""The register's API shapes."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, StringConstraints

from eventguard.inputs import SafeStr

RiskStatus = Literal["open", "mitigating", "mitigated", "accepted", "closed"]
Score = Annotated[int, Field(ge=1, le=5)]
Key = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$")]
ShortText = Annotated[SafeStr, StringConstraints(min_length=1, max_length=500)]
LongText = Annotated[SafeStr, StringConstraints(max_length=4000)]


class Bilingual(BaseModel):
    zh_cn: ShortText = Field(alias="zh-CN")
    en: ShortText

    model_config = {"populate_by_name": True}


class BilingualLong(BaseModel):
    zh_cn: LongText = Field(alias="zh-CN")
    en: LongText

    model_config = {"populate_by_name": True}


class RiskCreate(BaseModel):
    key: Key | None = Field(default=None, description="Default: made from the English title.")
    category: Key
    title: Bilingual
    description: BilingualLong | None = None
    likelihood: Score
    impact: Score
    owner_team: Key | None = None
    mitigation: BilingualLong | None = None
    scenario_id: Key | None = None
    backup_id: Key | None = None
    drill_scenario_id: Key | None = None
    status: RiskStatus = "open"


class RiskUpdate(BaseModel):
    """Only the fields given change; ``reason`` goes into the history."""

    category: Key | None = None
    title: Bilingual | None = None
    description: BilingualLong | None = None
    likelihood: Score | None = None
    impact: Score | None = None
    owner_team: Key | None = None
    mitigation: BilingualLong | None = None
    scenario_id: Key | None = None
    backup_id: Key | None = None
    drill_scenario_id: Key | None = None
    status: RiskStatus | None = None
    reason: LongText | None = None


class RiskChangeRead(BaseModel):
    at: datetime
    kind: str
    actor: str
    changes: dict[str, Any]
    reason: str | None


class RiskRead(BaseModel):
    key: str
    source: str
    in_plan: bool
    category: str
    title: dict[str, str]
    description: dict[str, str] | None
    likelihood: int
    impact: int
    score: int
    owner_team: str | None
    mitigation: dict[str, str] | None
    scenario_id: str | None
    backup_id: str | None
    drill_scenario_id: str | None
    last_drilled: datetime | None = Field(
        description="When its drill scenario was last drilled; null: never."
    )
    status: str
    evidence: dict[str, Any]
    created_at: datetime
    updated_at: datetime


class RiskDetail(RiskRead):
    history: list[RiskChangeRead]


class ProposalRead(BaseModel):
    subject: str = Field(description="scenario:ID or category:ID")
    metrics: dict[str, Any]
    likelihood: int
    impact: int
    evidence: list[dict[str, Any]]
    risks: list[str] = Field(description="Keys of the register's risks this proposal is about.")


class AssessmentDecision(BaseModel):
    subject: Annotated[SafeStr, StringConstraints(pattern=r"^(scenario|category):[a-z0-9][a-z0-9_-]{0,63}$")]
    risk: Key
    decision: Literal["accept", "override"]
    likelihood: Score | None = Field(default=None, description="With override: the value decided instead.")
    impact: Score | None = None
    reason: LongText | None = Field(default=None, description="Required with override.")


class AssessmentRead(BaseModel):
    id: int
    risk: str
    subject: str
    proposed_likelihood: int
    proposed_impact: int
    likelihood: int
    impact: int
    decision: str
    reason: str | None
    metrics: dict[str, Any]
    evidence: list[dict[str, Any]]
    decided_by: str
    decided_at: datetime


class RoundCreate(BaseModel):
    title: ShortText
    required_teams: list[Key] | None = Field(default=None, description="Default: the plan's review_teams.")


class ReviewEntryCreate(BaseModel):
    kind: Literal["comment", "proposal", "signoff"]
    team: Key = Field(description="The reviewer's team (a team of the plan).")
    risk: Key | None = Field(default=None, description="The risk a comment or proposal is about.")
    text: LongText | None = None
    proposed: RiskUpdate | None = Field(default=None, description="With proposal: the changes proposed.")


class ReviewEntryRead(BaseModel):
    id: int
    kind: str
    team: str
    reviewer: str
    risk: str | None
    text: str | None
    proposed: dict[str, Any] | None
    at: datetime
    accepted_by: str | None = Field(default=None, description="With an accepted proposal: who accepted it.")
    accepted_at: datetime | None = None


class RoundRead(BaseModel):
    id: int
    title: str
    status: str
    required_teams: list[str]
    signed_teams: list[str]
    missing_teams: list[str]
    created_by: str
    created_at: datetime
    completed_at: datetime | None
    entries: list[ReviewEntryRead]
