"""The plan format (``PlanSpec``): what an event's emergency plan says, as Pydantic models.

Cross references (a team's lead is a person, a runbook step's owner a team …) are checked by
``plans.validate``; here each part only has its own shape. docs/plan.schema.json is generated from
``PlanSpec.model_json_schema()`` and docs/plan-format.md explains every key.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, BeforeValidator, Discriminator, Field, StringConstraints, Tag

from eventguard.plans.types import (
    SLUG_PATTERN,
    Duration,
    Id,
    Language,
    LevelNumber,
    LocalizedText,
    PhaseName,
    PlanModel,
    RoleName,
    Text,
    TimeZoneName,
    Url,
)

# Channel kinds and alert sources are open: plugins add them. ``plans.validate`` checks each against
# the installed registries (``plugins.channel_classes()``, ``plugins.alert_formats()``).
ChannelType = Annotated[
    str,
    Field(
        min_length=1,
        max_length=64,
        description="Channel kind: wecom, dingtalk, feishu, slack, email, webhook or an installed plugin's.",
    ),
]
TeamKind = Literal["organizer", "tech", "ops", "customer_service", "pr", "legal", "vendor"]
ScenarioKind = Literal["technical", "security", "content", "participation"]
AlertSource = Annotated[
    str,
    Field(
        min_length=1,
        max_length=64,
        description="Alert source: alertmanager, grafana, pagerduty, generic, probe or a plugin's format.",
    ),
]


class Phase(PlanModel):
    """A time window of the event, in any UTC offset (shown in the event's time zone)."""

    name: PhaseName
    start: AwareDatetime
    end: AwareDatetime


class EventInfo(PlanModel):
    slug: Annotated[str, Field(pattern=SLUG_PATTERN, description="URL name of the event.")]
    name: LocalizedText
    description: LocalizedText | None = None
    timezone: TimeZoneName = Field(description="IANA time zone the event is shown in.")
    owner: Id = Field(description="Person id of the event owner, paged last by escalation.")
    default_level: LevelNumber = Field(default=3, description="Level of an alert no rule classifies.")
    group_by: list[str] = Field(
        default_factory=lambda: ["alertname"], description="Alert labels that group alerts into one incident."
    )
    phases: list[Phase] = Field(default_factory=list)


class Security(PlanModel):
    require_2fa_for: list[RoleName] = Field(default_factory=list, description="Roles that must use 2FA.")


class ImHandles(PlanModel):
    """How to reach a person directly in each IM (another key: the handle of a plugin's channel)."""

    # A plugin channel's handle (the ``im_handle`` its class declares) is one more key;
    # ``plans.validate`` checks extra keys against the installed channels.
    model_config = PlanModel.model_config | {"extra": "allow"}
    __pydantic_extra__: dict[str, str] = Field(init=False)

    wecom: str | None = Field(default=None, description="WeCom userid.")
    dingtalk: str | None = Field(default=None, description="Mobile number registered with DingTalk.")
    feishu: str | None = Field(default=None, description="Feishu/Lark open_id.")
    slack: str | None = Field(default=None, description="Slack member id.")


class Person(PlanModel):
    id: Id
    name: Text
    email: str | None = None
    phone: str | None = None
    language: Language = "zh-CN"
    im: ImHandles = Field(default_factory=ImHandles)


class Channel(PlanModel):
    """A group channel (IM group robot, mailing list, webhook). Secrets only by environment variable."""

    id: Id
    type: ChannelType
    name: LocalizedText | None = None
    owner: Id | None = Field(default=None, description="Person who owns the group.")
    target: Text = Field(description="Webhook endpoint without its key, an email address or a Slack channel.")
    secret_env: str | None = Field(default=None, description="Environment variable holding the key/token.")
    signing_secret_env: str | None = Field(
        default=None, description="Environment variable of a signing secret."
    )
    keywords: list[str] = Field(default_factory=list, description="DingTalk robot keywords.")
    config: dict[str, Any] = Field(
        default_factory=dict, description="Settings of this channel kind, checked against its config schema."
    )
    secret: str | None = Field(default=None, description="Never set: rejected, use secret_env.")


class Contact(PlanModel):
    name: Text
    phone: str | None = None
    email: str | None = None


class VendorInfo(PlanModel):
    company: Text
    service: LocalizedText
    contract: str | None = None
    support_hours: str | None = None
    escalation_contact: Contact


class Team(PlanModel):
    id: Id
    kind: TeamKind
    name: LocalizedText
    lead: Id | None = None
    members: list[Id] = Field(default_factory=list)
    channels: list[Id] = Field(default_factory=list)
    responsibilities: LocalizedText | None = None
    vendor: VendorInfo | None = None


class CoreFunction(PlanModel):
    id: Id
    name: LocalizedText
    restore_priority: int = Field(ge=1, description="1 is restored first.")
    description: LocalizedText | None = None


class TeamTarget(PlanModel):
    team: Id
    role: Literal["lead", "members", "all"] = "lead"


class PersonTarget(PlanModel):
    person: Id


class ChannelTarget(PlanModel):
    channel: Id


def _target_kind(value: Any) -> str | None:
    if isinstance(value, dict):
        return next((key for key in ("team", "person", "channel") if key in value), None)
    if isinstance(value, TeamTarget | PersonTarget | ChannelTarget):
        return type(value).__name__.removesuffix("Target").lower()
    return None


NotifyTarget = Annotated[
    Annotated[TeamTarget, Tag("team")]
    | Annotated[PersonTarget, Tag("person")]
    | Annotated[ChannelTarget, Tag("channel")],
    Discriminator(
        _target_kind,
        custom_error_type="invalid_target",
        custom_error_message="A notification target needs exactly one of team, person or channel.",
    ),
]


class ResponseLevel(PlanModel):
    level: LevelNumber
    name: LocalizedText
    description: LocalizedText
    examples: list[LocalizedText] = Field(default_factory=list)
    notify_within: Duration = timedelta(minutes=5)
    notify: list[NotifyTarget] = Field(default_factory=list)
    public_announcement: Literal["required", "optional", "none"] = "optional"
    pause_activity: bool = False
    escalation_policy: Id | None = None
    auto_resolve: bool = False
    quiet_period: Duration = timedelta(minutes=15)


class EscalationStep(PlanModel):
    after: Duration
    notify: list[NotifyTarget] = Field(default_factory=list)


class EscalationPolicy(PlanModel):
    id: Id
    name: LocalizedText | None = None
    steps: list[EscalationStep] = Field(default_factory=list)
    repeat: int = Field(default=0, ge=0, le=10)
    final: Literal["event_owner", "none"] = "event_owner"


class ClassificationRule(PlanModel):
    """Alerts whose labels match (and that come from these sources, in these phases) get this level."""

    match: dict[str, str] = Field(default_factory=dict, description="Labels that must be equal.")
    match_re: dict[str, str] = Field(default_factory=dict, description="Labels that must match a regex.")
    sources: list[AlertSource] = Field(default_factory=list, description="Empty: any source.")
    phases: list[PhaseName] = Field(default_factory=list, description="Empty: any phase.")
    level: LevelNumber
    core_functions: list[Id] = Field(default_factory=list, description="Empty: the scenario's.")


class RunbookStep(PlanModel):
    id: Id
    title: LocalizedText
    owner: Id | None = Field(default=None, description="Team that does this step.")
    core_function: Id | None = None
    details: LocalizedText | None = None


class Scenario(PlanModel):
    id: Id
    kind: ScenarioKind
    name: LocalizedText
    description: LocalizedText | None = None
    default_level: LevelNumber = 3
    core_functions: list[Id] = Field(default_factory=list)
    classification: list[ClassificationRule] = Field(default_factory=list)
    runbook: list[RunbookStep] = Field(default_factory=list)
    backup_plans: list[Id] = Field(default_factory=list)
    templates: list[Id] = Field(default_factory=list)
    legal: LocalizedText | None = Field(default=None, description="Regulatory notes, e.g. for a data leak.")


class BackupLink(PlanModel):
    label: LocalizedText
    url: Url


class BackupPlan(PlanModel):
    id: Id
    kind: Literal["stream", "links", "offline_pack"]
    name: LocalizedText
    stream_url: Url | None = None
    links: list[BackupLink] = Field(default_factory=list)
    offline_pack_url: Url | None = None
    activation: list[LocalizedText] = Field(default_factory=list, description="Steps to switch over.")


class TemplateText(PlanModel):
    title: Text
    body: Text


class MessageTemplate(PlanModel):
    id: Id
    purpose: Literal["notification", "announcement", "escalation"]
    zh_cn: TemplateText | None = Field(default=None, alias="zh-CN")
    en: TemplateText | None = None

    def text(self, language: str) -> TemplateText | None:
        return self.en if language.lower().startswith("en") else self.zh_cn


class Risk(PlanModel):
    id: Id
    category: ScenarioKind
    title: LocalizedText
    likelihood: int = Field(json_schema_extra={"minimum": 1, "maximum": 5})
    impact: int = Field(json_schema_extra={"minimum": 1, "maximum": 5})
    owner: Id | None = None
    mitigation: LocalizedText | None = None
    scenario: Id | None = None
    status: Literal["open", "mitigating", "mitigated", "accepted", "closed"] = "open"

    @property
    def score(self) -> int:
        return self.likelihood * self.impact


class _Probe(PlanModel):
    """What every probe has; each kind below narrows ``kind``, ``target`` and ``threshold``."""

    id: Id
    kind: str
    target: Url | None = Field(default=None, description="What is probed.")
    interval: Duration = timedelta(seconds=30)
    threshold: Any = None
    scenario: Id | None = Field(default=None, description="Scenario of the alerts this probe raises.")
    phases: list[PhaseName] = Field(default_factory=list, description="Empty: all phases.")
    labels: dict[str, str] = Field(default_factory=dict, description="Labels of the alerts it raises.")


class HttpProbe(_Probe):
    kind: Literal["http"]
    target: Url
    threshold: Duration = Field(default=timedelta(seconds=5), description="Slowest acceptable answer.")
    expect_status: int = 200


class HlsProbe(_Probe):
    kind: Literal["hls"]
    target: Url = Field(description="URL of the HLS playlist (.m3u8).")
    threshold: Duration = Field(default=timedelta(seconds=30), description="Oldest acceptable playlist.")


class MetricThreshold(PlanModel):
    op: Literal[">", ">=", "<", "<="]
    value: float


class MetricProbe(_Probe):
    kind: Literal["metric_threshold"]
    target: Url = Field(description="Prometheus-compatible query API base URL.")
    threshold: MetricThreshold
    query: Text = Field(description="PromQL expression compared with the threshold.")
    for_: Duration = Field(
        default=timedelta(0), alias="for", description="How long the threshold must be crossed."
    )


class HeartbeatProbe(_Probe):
    """Alerts when the beats the monitored system sends stop (``target`` is informational)."""

    kind: Literal["heartbeat"]
    threshold: Duration = Field(default=timedelta(minutes=1), description="Grace after a missed beat.")


MonitoringRule = Annotated[HttpProbe | HlsProbe | MetricProbe | HeartbeatProbe, Field(discriminator="kind")]


# -- On-call schedules (docs/plan-format.md#schedules; computed by eventguard.oncall.rotation)

TIME_OF_DAY_PATTERN = r"^([01]\d|2[0-3]):[0-5]\d$"
Weekday = Literal["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
DayName = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WEEKDAYS: tuple[Weekday, ...] = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
DAY_NAMES: tuple[DayName, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _sexagesimal_time(value: Any) -> Any:
    # YAML 1.1 reads an unquoted 10:00 as the base-60 number 600: give the user back what they wrote.
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 24 * 60:
        return f"{value // 60:02d}:{value % 60:02d}"
    return value


TimeOfDay = Annotated[str, BeforeValidator(_sexagesimal_time), StringConstraints(pattern=TIME_OF_DAY_PATTERN)]


class _Rotation(PlanModel):
    kind: str
    start: AwareDatetime = Field(description="When the rotation begins, with its first member.")
    handoff: TimeOfDay | None = Field(
        default=None, description='Local time of the handoff, "HH:MM" (default: the time of start).'
    )


class DailyRotation(_Rotation):
    kind: Literal["daily"]


class WeeklyRotation(_Rotation):
    kind: Literal["weekly"]
    handoff_day: Weekday = Field(description="Day of the week of the handoff.")


class CustomRotation(_Rotation):
    kind: Literal["custom"]
    length: Duration = Field(description="Length of one turn, at least 1h (e.g. 12h).")


Rotation = Annotated[DailyRotation | WeeklyRotation | CustomRotation, Field(discriminator="kind")]


class Restriction(PlanModel):
    """A daily window (local time) in which a layer applies; ``to`` before ``from`` runs overnight."""

    days: list[DayName] = Field(
        default_factory=list, description="Days the window starts on; empty: every day."
    )
    from_: TimeOfDay = Field(alias="from", description='Start of the window, "HH:MM".')
    to: TimeOfDay = Field(description='End of the window, "HH:MM".')


class ScheduleLayer(PlanModel):
    id: Id
    name: LocalizedText | None = None
    members: list[Id] = Field(default_factory=list, description="Person ids in rotation order.")
    rotation: Rotation
    restrictions: list[Restriction] = Field(
        default_factory=list, description="When the layer applies; empty: always."
    )
    active_phases: list[PhaseName] = Field(default_factory=list, description="Empty: every phase.")


class Schedule(PlanModel):
    """Who of a team is on call when: layers on top of each other (the last one wins where it applies)."""

    id: Id
    name: LocalizedText
    team: Id = Field(description="Team whose on-call this schedule decides.")
    timezone: TimeZoneName | None = Field(default=None, description="IANA time zone; default: the event's.")
    layers: list[ScheduleLayer] = Field(default_factory=list)


class PlanSpec(PlanModel):
    """A whole plan (docs/plan-format.md)."""

    model_config = PlanModel.model_config | {"title": "EventGuard plan"}

    format_version: Literal[1]
    event: EventInfo
    security: Security = Field(default_factory=Security)
    people: list[Person] = Field(default_factory=list)
    channels: list[Channel] = Field(default_factory=list)
    teams: list[Team] = Field(default_factory=list)
    core_functions: list[CoreFunction] = Field(default_factory=list)
    levels: list[ResponseLevel] = Field(default_factory=list)
    escalation_policies: list[EscalationPolicy] = Field(default_factory=list)
    scenarios: list[Scenario] = Field(default_factory=list)
    backup_plans: list[BackupPlan] = Field(default_factory=list)
    templates: list[MessageTemplate] = Field(default_factory=list)
    risks: list[Risk] = Field(default_factory=list)
    monitoring: list[MonitoringRule] = Field(default_factory=list)
    schedules: list[Schedule] = Field(default_factory=list)

    def level(self, number: int) -> ResponseLevel | None:
        return next((item for item in self.levels if item.level == number), None)

    def team(self, team_id: str) -> Team | None:
        return next((item for item in self.teams if item.id == team_id), None)

    def scenario(self, scenario_id: str) -> Scenario | None:
        return next((item for item in self.scenarios if item.id == scenario_id), None)

    def schedule(self, schedule_id: str) -> Schedule | None:
        return next((item for item in self.schedules if item.id == schedule_id), None)
