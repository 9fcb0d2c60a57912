"""What the probes API answers and takes."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, Field

from eventguard.plans.types import ID_PATTERN

ProbeId = Annotated[str, Field(pattern=ID_PATTERN, description="The probe's id in the plan.")]


class ProbeRead(BaseModel):
    id: str
    kind: str
    target: str | None
    status: str = Field(description="unknown, up or down.")
    firing: bool = Field(description="Its alert is raised and not resolved yet.")
    paused: bool
    paused_by: str | None
    runs_now: bool = Field(description="It runs in the current phase.")
    interval_seconds: float = Field(description="Interval in the current phase.")
    failures: int = Field(description="Failed checks in a row.")
    checked_at: datetime | None
    latency_ms: float | None
    detail: str | None


class ResultRead(BaseModel):
    seq: int
    checked_at: datetime
    ok: bool
    latency_ms: float | None
    detail: str


class ValueIn(BaseModel):
    value: float = Field(allow_inf_nan=False, description="The current value (viewers, sign-ins …).")


class Pushed(BaseModel):
    probe: str
    at: datetime
