"""What the analytics API takes (a bounded query) and answers (JSON; the same rows as CSV)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Literal

from annotated_types import Interval
from pydantic import BaseModel, ConfigDict, Field, model_validator

from eventguard.inputs import SafeStr

Day = Annotated[date, Interval(ge=date(2000, 1, 1), le=date(2100, 12, 31))]


class AnalyticsQuery(BaseModel):
    """Which incidents count: of one event (or all), opened between two days, drills or not."""

    event: SafeStr | None = Field(
        default=None, max_length=64, description="Event slug (default: every event)."
    )
    since: Day | None = Field(default=None, description="First day (UTC), inclusive.")
    until: Day | None = Field(default=None, description="Last day (UTC), inclusive.")
    drills: bool = Field(default=False, description="Count drill incidents instead of real ones.")
    format: Literal["json", "csv"] | None = Field(
        default=None, description="`csv` for a CSV file (or send `Accept: text/csv`)."
    )

    @model_validator(mode="after")
    def _ordered(self) -> AnalyticsQuery:
        if self.since and self.until and self.until < self.since:
            raise ValueError("until must not be before since")
        return self

    def window(self) -> tuple[datetime | None, datetime | None]:
        """[since 00:00 UTC, the day after until 00:00 UTC)."""
        start = datetime.combine(self.since, time(), UTC) if self.since else None
        end = datetime.combine(self.until, time(), UTC) + timedelta(days=1) if self.until else None
        return start, end


class _Read(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class ResponseTimesRead(_Read):
    incidents: int
    acknowledged: int
    resolved: int
    mtta_seconds: float | None = Field(description="Mean time from opened to acknowledged.")
    mttr_seconds: float | None = Field(description="Mean time from opened to resolved.")
    median_tta_seconds: float | None
    median_ttr_seconds: float | None


class SlaGroupRead(_Read):
    target: str = Field(description="The notified role (`team:tech:lead`, `person:…`); `*` for all.")
    level: int | None
    rows: int
    met: int
    breached: int
    pending: int
    met_percent: float | None = Field(description="met / (met + breached) × 100; pending rows left out.")
    notify_within_seconds: float | None
    mean_first_seconds: float | None = Field(description="Mean time to the first delivery.")


class BucketRead(_Read):
    key: str
    count: int


class DrillScoreRead(_Read):
    run_id: int
    event: str
    drill_id: str
    scenario_id: str
    mode: str
    finished_at: datetime
    score: int
    passed: bool


class TeamItemsRead(_Read):
    team: str
    open: int
    overdue: int
    done: int


class ActionItemsRead(_Read):
    open: int
    overdue: int
    done: int
    teams: list[TeamItemsRead]


class IncidentTimesRead(_Read):
    id: int
    event: str
    title: str
    level: int
    scenario: str | None
    phase: str | None
    is_drill: bool
    opened_at: datetime
    hour: int = Field(description="Hour of the day it opened, in the event's time zone.")
    acknowledge_seconds: float | None
    resolve_seconds: float | None


class BreakdownRead(BaseModel):
    by: Literal["level", "scenario", "phase", "hour"]
    buckets: list[BucketRead]


class EventFiguresRead(_Read):
    event: str
    response: ResponseTimesRead
    sla: SlaGroupRead


class AnalyticsRead(BaseModel):
    event: str | None
    since: date | None
    until: date | None
    drills: bool
    now: datetime
    response: ResponseTimesRead
    sla_overall: SlaGroupRead
    sla: list[SlaGroupRead]
    breakdowns: list[BreakdownRead]
    drill_scores: list[DrillScoreRead]
    action_items: ActionItemsRead
    events: list[EventFiguresRead] = Field(description="Each event's MTTA, MTTR and SLA, side by side.")
