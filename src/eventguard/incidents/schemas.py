"""Incident API shapes (Create / Read / command bodies)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from eventguard.incidents.models import IncidentRole, IncidentStatus, TaskStatus
from eventguard.inputs import Id, SafeStr


class _Read(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class IncidentRead(_Read):
    id: int
    event_id: int
    title: str
    status: IncidentStatus
    level: int
    scenario_id: str | None
    kind: str | None
    core_functions: list[str]
    impact: str | None
    group_key: str
    source: str
    is_drill: bool
    phase: str | None
    opened_at: datetime
    acknowledged_at: datetime | None
    mitigating_at: datetime | None
    monitoring_at: datetime | None
    resolved_at: datetime | None
    reviewed_at: datetime | None
    last_alert_at: datetime | None
    alert_count: int
    firing_count: int
    eta: datetime | None
    merged_into_id: int | None
    declared_by: str | None
    updated_at: datetime


class RoleRead(_Read):
    role: IncidentRole
    person_id: str | None
    team_id: str | None
    assigned_at: datetime
    assigned_by: str


class TaskRead(_Read):
    id: int
    position: int
    step_id: str
    title: dict[str, str]
    details: dict[str, str] | None
    owner_team: str
    core_function: str | None
    status: TaskStatus
    skip_reason: str | None
    started_at: datetime | None
    finished_at: datetime | None
    finished_by: str | None


class TimelineRead(_Read):
    id: int
    at: datetime
    kind: str
    actor_type: str
    actor_name: str
    text: str | None
    data: dict[str, Any]


class PauseRead(_Read):
    """The event's pause: from ``paused_at`` until a commander resumes it (``resumed_at``)."""

    id: int
    event_id: int
    incident_id: int | None
    level: int | None
    reason: str | None
    automatic: bool = Field(description="Paused by the level's pause_activity, not by hand.")
    paused_at: datetime
    paused_by: str
    resumed_at: datetime | None
    resumed_by: str | None
    resume_note: str | None


class IncidentDetail(IncidentRead):
    event_slug: str
    roles: list[RoleRead]
    tasks: list[TaskRead]
    title_source: str | None = Field(
        description="None: the first alert's text; scenario, manual (declared) or commander (renamed)."
    )
    display_title: str = Field(description="The title to show, in the request's language.")
    scenario_name: dict[str, str] | None = Field(description="The plan's scenario name, both languages.")
    legal: dict[str, str] | None = Field(description="The scenario's legal guidance, both languages.")
    paused: bool = Field(description="Whether the incident's event is paused now.")
    pause: PauseRead | None = Field(description="The event's open pause, if any.")


class IncidentPage(BaseModel):
    items: list[IncidentRead]
    total: int
    limit: int
    offset: int


class IncidentDeclare(BaseModel):
    """Declare an incident no alert reported (a participant dispute, a PR crisis …)."""

    model_config = ConfigDict(extra="forbid")

    event: SafeStr = Field(description="Event slug.")
    title: SafeStr = Field(min_length=1, max_length=300)
    level: Literal[1, 2, 3] | None = Field(default=None, description="Default: the scenario's default level.")
    scenario_id: SafeStr | None = None
    core_functions: list[SafeStr] | None = None
    impact: SafeStr | None = Field(default=None, max_length=4000)
    drill: bool = Field(default=False, description="A drill: every notification is marked as one.")


class StatusChange(BaseModel):
    model_config = ConfigDict(extra="forbid")
    status: IncidentStatus
    note: SafeStr | None = Field(default=None, max_length=4000)


class Resolve(BaseModel):
    model_config = ConfigDict(extra="forbid")
    note: SafeStr | None = Field(default=None, max_length=4000)


class Relevel(BaseModel):
    model_config = ConfigDict(extra="forbid")
    level: Literal[1, 2, 3]
    reason: SafeStr = Field(min_length=1, max_length=4000)


class RoleAssign(BaseModel):
    model_config = ConfigDict(extra="forbid")
    role: IncidentRole
    person_id: SafeStr = Field(min_length=1, max_length=64)


class NoteIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: SafeStr = Field(min_length=1, max_length=10000)


class ProgressIn(BaseModel):
    """A progress update: what was done and when service should be back (seed: tech reports ETA)."""

    model_config = ConfigDict(extra="forbid")
    text: SafeStr = Field(min_length=1, max_length=10000)
    eta: AwareDatetime | None = None
    team: SafeStr | None = Field(default=None, max_length=64)


class PauseIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: SafeStr | None = Field(default=None, max_length=4000)


class ResumeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    note: SafeStr | None = Field(default=None, max_length=4000)


class IncidentEdit(BaseModel):
    """What a commander may change on an incident directly: its title (it wins over the scenario's)."""

    model_config = ConfigDict(extra="forbid")
    title: SafeStr = Field(min_length=1, max_length=300)


class MergeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    into: Id = Field(description="Id of the incident this one is folded into.")


class TaskChange(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: SafeStr | None = Field(default=None, max_length=4000)
