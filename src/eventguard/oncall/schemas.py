"""What the on-call API reads and answers."""

from __future__ import annotations

from datetime import datetime

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from eventguard.inputs import SafeStr
from eventguard.oncall.service import MAX_REASON, OnCallSource


class PersonRef(BaseModel):
    id: str
    name: str


class ShiftRead(BaseModel):
    person: PersonRef
    start: datetime
    end: datetime
    layer: str = Field(description='Id of the layer that decides, or "override".')
    override_id: int | None = None


class ScheduleSummary(BaseModel):
    id: str
    name: dict[str, str] = Field(description="Name in zh-CN and en.")
    team: str
    timezone: str
    layers: list[str] = Field(description="Layer ids, bottom first (the last one sits on top).")
    on_call: list[PersonRef] = Field(description="Who is on call now (none or one person).")
    source: str | None = Field(description='What decides now: a layer id, "override", or none.')
    next_handoff: datetime | None = Field(description="When the person on call next changes (60 days).")


class ScheduleDetail(ScheduleSummary):
    window_start: datetime
    window_end: datetime
    shifts: list[ShiftRead] = Field(description="Shifts that overlap the window, with their own times.")


class TeamOnCallRead(BaseModel):
    team: str
    team_name: dict[str, str]
    schedule: str | None = Field(description="The team's schedule, if it has one.")
    on_call: list[PersonRef]
    source: OnCallSource = Field(
        description="override, schedule, lead (no schedule or nobody on it) or nobody."
    )


class OverrideCreate(BaseModel):
    person_id: SafeStr = Field(min_length=1, max_length=64, description="Person id of the plan.")
    start: AwareDatetime
    end: AwareDatetime
    reason: SafeStr | None = Field(default=None, max_length=MAX_REASON)


class OverrideRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    schedule_id: str
    person_id: str
    start: datetime
    end: datetime
    reason: str | None
    created_by: str
    created_at: datetime


class FeedUrl(BaseModel):
    url: str = Field(description="Signed https URL of the iCal feed.")
    webcal_url: str = Field(description="The same feed as webcal://, which calendar apps subscribe to.")
