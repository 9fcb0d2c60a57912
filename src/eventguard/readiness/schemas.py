from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, StringConstraints

from eventguard.inputs import SafeStr

Reason = Annotated[SafeStr, StringConstraints(min_length=1, max_length=2000)]
ItemKey = Annotated[SafeStr, StringConstraints(min_length=1, max_length=140)]


class ItemRead(BaseModel):
    key: str = Field(description="Stable id, e.g. notify.level-1, legal.privacy-policy, probes.all_green.")
    group: str
    title: str
    ok: bool
    detail: str | None
    fix_path: str | None = Field(description="Console path where it is fixed.")
    waivable: bool


class DecisionRead(BaseModel):
    id: int
    decision: str
    decided_by: str
    decided_at: str
    note: str | None
    waived: list[dict[str, str]]


class ReadinessRead(BaseModel):
    ready: bool
    failing: list[str]
    items: list[ItemRead]
    decision: DecisionRead | None = Field(description="The newest go/no-go decision.")


class Waiver(BaseModel):
    key: ItemKey
    reason: Reason


class DecisionCreate(BaseModel):
    decision: Literal["go", "no_go"]
    waive: list[Waiver] = Field(default_factory=list, description="Failing items let through, each with why.")
    note: Annotated[SafeStr, StringConstraints(max_length=2000)] | None = None


class SignoffCreate(BaseModel):
    note: Annotated[SafeStr, StringConstraints(max_length=2000)] | None = None


class SignoffRead(BaseModel):
    item: str
    team: str
    signed_by: str
    signed_at: Any
    note: str | None
