"""The plan format (``PlanSpec``): what an event's emergency plan says, as Pydantic models.

Cross references (a team's lead is a person, a runbook step's owner a team …) are checked by
``plans.validate``; here each part only has its own shape. docs/plan.schema.json is generated from
``PlanSpec.model_json_schema()`` and docs/plan-format.md explains every key.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any, Literal, cast

from pydantic import AwareDatetime, BeforeValidator, Discriminator, Field, StringConstraints, Tag

from eventguard.inputs import SafeStr
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
    purpose: Literal["notification", "announcement", "escalation", "pause"] = Field(
        description="notification, escalation: to responders; announcement: to participants; "
        "pause: the notice on the status page (and its draft) while the event is paused."
    )
    zh_cn: TemplateText | None = Field(default=None, alias="zh-CN")
    en: TemplateText | None = None

    def text(self, language: str) -> TemplateText | None:
        return self.en if language.lower().startswith("en") else self.zh_cn


# -- The risk register, surveys and the readiness gate (docs/plan-format.md#risks; eventguard.risks,
# eventguard.surveys, eventguard.readiness)

RISK_CATEGORIES: tuple[ScenarioKind, ...] = ("technical", "security", "content", "participation")
RiskStatus = Literal["open", "mitigating", "mitigated", "accepted", "closed"]


class RiskCategory(PlanModel):
    """A category of the register beyond the seed's four (technical, security, content, participation)."""

    id: Id
    name: LocalizedText


# -- Drills (docs/plan-format.md#drills; run and scored by eventguard.drills)

DrillInjection = Literal["alert", "probe_failure", "complaint", "channel_down"]


class DrillTargets(PlanModel):
    """What a drill is scored against; unset times default to the level's ``notify_within``."""

    acknowledge_within: Duration | None = Field(
        default=None, description="Time to acknowledge (default: the level's notify_within)."
    )
    backup_within: Duration | None = Field(
        default=timedelta(minutes=10), description="Time to switch over to a backup plan (null: not scored)."
    )
    public_update_within: Duration | None = Field(
        default=timedelta(minutes=15), description="Time to publish a public update (null: not scored)."
    )
    pass_score: int = Field(default=80, ge=0, le=100, description="Overall score (0-100) that passes.")


class DrillStep(PlanModel):
    """One step of a drill's script: an injection (live) or a question (tabletop), at an offset."""

    at: Duration = Field(default=timedelta(0), description="Offset from the start of the drill.")
    inject: DrillInjection | None = Field(default=None, description="What a live drill injects.")
    title: Text | None = Field(default=None, description="Title of the injected alert or complaint.")
    labels: dict[str, str] = Field(default_factory=dict, description="Labels of the injected alert.")
    annotations: dict[str, str] = Field(default_factory=dict)
    source: AlertSource = Field(default="generic", description="Source the injected alert stands in for.")
    probe: Id | None = Field(default=None, description="Monitoring probe that fails (probe_failure).")
    channel: Id | None = Field(default=None, description="Channel that goes down (channel_down).")
    question: LocalizedText | None = Field(default=None, description="What the facilitator asks.")
    expected: LocalizedText | None = Field(default=None, description="The answer the plan expects.")


class Drill(PlanModel):
    """A scenario-simulation drill (场景模拟演练): live injection or a tabletop walk-through."""

    id: Id
    name: LocalizedText
    scenario: Id
    mode: Literal["live", "tabletop"] = "live"
    facilitator: Id | None = Field(default=None, description="Person who runs the drill.")
    teams: list[Id] = Field(default_factory=list, description="Teams taking part.")
    objectives: list[LocalizedText] = Field(default_factory=list)
    targets: DrillTargets = Field(default_factory=DrillTargets)
    steps: list[DrillStep] = Field(default_factory=list)


# -- Postmortems (docs/plan-format.md#postmortems; written with eventguard.reviews)


class PostmortemDue(PlanModel):
    level: LevelNumber
    days: int = Field(ge=1, le=90, description="Days after resolution the postmortem is due.")


class PostmortemPolicy(PlanModel):
    """Which resolved incidents get a postmortem, and when it is due."""

    levels: list[LevelNumber] = Field(default=[1, 2], description="Levels whose incidents get one.")
    drills: bool = Field(default=True, description="Whether a resolved drill incident gets one too.")
    due: list[PostmortemDue] = Field(
        default_factory=list, description="Days to write it, by level (default 3, 5, 10 for levels 1, 2, 3)."
    )
    action_item_reminder_days: int = Field(
        default=2,
        ge=0,
        le=60,
        description="Days before an action item's due date its owner team is reminded (0: not before).",
    )
    action_item_overdue_every_days: int = Field(
        default=1,
        ge=0,
        le=30,
        description="Days between reminders while an action item is overdue, from its due date (0: none).",
    )

    def due_after(self, level: int) -> int:
        found = next((item.days for item in self.due if item.level == level), None)
        return found if found is not None else {1: 3, 2: 5}.get(level, 10)


# -- The offline emergency kit (docs/plan-format.md#offline-emergency-kit; written by eventguard.kit)


class HandlingCard(PlanModel):
    """One role's handling card (应急处置卡) for one level: what the team does in the first 5, 15
    and 60 minutes. A team and level without a card get one derived from the plan (eventguard.kit)."""

    team: Id = Field(description="Team (role) the card is for.")
    level: LevelNumber
    first_5_min: list[LocalizedText] = Field(
        default_factory=list, description="Steps in the first 5 minutes."
    )
    first_15_min: list[LocalizedText] = Field(default_factory=list, description="Steps by minute 15.")
    first_60_min: list[LocalizedText] = Field(default_factory=list, description="Steps by minute 60.")


class KitSettings(PlanModel):
    """What the offline kit shows beyond what the plan already says."""

    handling_cards: list[HandlingCard] = Field(default_factory=list, description="Cards written by hand.")
    teams: list[Id] = Field(default_factory=list, description="Teams that get a card (empty: every team).")


# -- Compliance deadlines (docs/plan-format.md#compliance; run by eventguard.compliance)

ComplianceGrade = Literal["general", "significant", "major", "especially_major"]
"""The four grades of 国家网络安全事件报告管理办法: 一般, 较大, 重大, 特别重大."""
COMPLIANCE_GRADES: tuple[ComplianceGrade, ...] = ("general", "significant", "major", "especially_major")
OperatorType = Literal["cii", "central_state", "other"]


class ComplianceRule(PlanModel):
    """A reporting duty: who must be told, by when after awareness, and what the report contains."""

    id: Id
    name: LocalizedText
    source: Text = Field(description="The law or rule and its article, with where its text is published.")
    authority: LocalizedText = Field(description="To whom the report goes.")
    within: Duration = Field(description="Deadline counted from awareness (the incident's opening).")
    statutory: bool = Field(default=True, description="false: an internal target the law leaves open.")
    min_grade: ComplianceGrade = Field(default="significant", description="Lowest grade the duty applies to.")
    operator_types: list[OperatorType] = Field(
        default_factory=list, description="Operator types it applies to (empty: every type)."
    )
    applies_to: Literal["any", "personal_data", "eu_personal_data"] = Field(
        default="any", description="Incidents it applies to: any, personal data leaked, EU residents' data."
    )
    notify_individuals: bool = Field(default=False, description="The individuals concerned are told too.")
    phased: bool = Field(default=False, description="Information may follow in phases.")
    content: list[LocalizedText] = Field(default_factory=list, description="What the report must contain.")


class ComplianceReminders(PlanModel):
    at_fraction: list[float] = Field(
        default=[0.5], description="Fractions of the time allowed at which the legal team is reminded."
    )
    before: list[Duration] = Field(
        default=[timedelta(minutes=15)], description="Times before the deadline the legal team is reminded."
    )
    on_expiry: bool = Field(default=True, description="Tell the legal team when a deadline passes unsent.")


class Compliance(PlanModel):
    """Reporting duties of security incidents; no ``rules``: the shipped defaults (docs/compliance.md)."""

    legal_team: Id | None = Field(default=None, description="Team told of deadlines (default: kind legal).")
    operator_type: OperatorType = Field(
        default="other",
        description="cii: critical information infrastructure; central_state: a central "
        "or state body; other: any other network operator.",
    )
    scenario_kinds: list[ScenarioKind] = Field(
        default=["security"], description="Kinds of scenario whose incidents may be marked reportable."
    )
    reminders: ComplianceReminders = Field(default_factory=ComplianceReminders)
    rules: list[ComplianceRule] = Field(default_factory=list, description="Empty: the shipped defaults.")


class Risk(PlanModel):
    id: Id
    category: Id = Field(description="technical, security, content, participation or a custom category's id.")
    title: LocalizedText
    description: LocalizedText | None = None
    likelihood: int = Field(json_schema_extra={"minimum": 1, "maximum": 5})
    impact: int = Field(json_schema_extra={"minimum": 1, "maximum": 5})
    owner: Id | None = Field(default=None, description="Team that owns the risk.")
    mitigation: LocalizedText | None = None
    scenario: Id | None = Field(default=None, description="The scenario the risk leads to.")
    backup_plan: Id | None = Field(default=None, description="The backup plan that answers it.")
    drill_scenario: Id | None = Field(
        default=None, description="The scenario whose drill tests it (default: scenario)."
    )
    status: RiskStatus = "open"

    @property
    def score(self) -> int:
        return self.likelihood * self.impact


class SurveyTag(PlanModel):
    """A complaint tag: a survey answer that contains one of its keywords gets it."""

    id: Id
    name: LocalizedText
    keywords_zh: list[Annotated[SafeStr, Field(min_length=1, max_length=64)]] = Field(default_factory=list)
    keywords_en: list[Annotated[SafeStr, Field(min_length=1, max_length=64)]] = Field(
        default_factory=list, description="Matched as whole words, case-insensitive."
    )
    category: Id = Field(default="participation", description="Category of a risk made from this complaint.")
    scenario: Id | None = Field(default=None, description="Scenario of a risk made from this complaint.")


class Surveys(PlanModel):
    public_form: bool = Field(default=True, description="Participants may answer on /events/SLUG/feedback.")
    form_limit_per_hour: int = Field(default=5, ge=1, le=1000, description="Form answers per IP and hour.")
    tags: list[SurveyTag] = Field(default_factory=list)


class LegalItem(PlanModel):
    id: Id
    title: LocalizedText


def _seed_legal_items() -> list[LegalItem]:
    items = (
        ("user-agreement", "用户协议", "User agreement"),
        ("privacy-policy", "隐私政策", "Privacy policy"),
        ("content-review", "内容审核流程", "Content review process"),
        ("copyright", "版权许可", "Copyright clearance"),
    )
    return [LegalItem.model_validate({"id": i, "title": {"zh-CN": zh, "en": en}}) for i, zh, en in items]


class Readiness(PlanModel):
    """The gate before the live phase (eventguard.readiness)."""

    test_message_within: Duration = Field(
        default=timedelta(days=7), description="A test message must have reached each channel this recently."
    )
    switchover_within: Duration = Field(
        default=timedelta(days=30), description="Each backup plan must have been switched over this recently."
    )
    risk_threshold: int = Field(
        default=12, ge=1, le=25, description="Open risks of this score or more need a mitigation."
    )
    legal_team: Id | None = Field(
        default=None, description="Team that signs legal items (default: kind legal)."
    )
    legal_items: list[LegalItem] = Field(default_factory=_seed_legal_items)
    review_teams: list[Id] = Field(
        default_factory=list, description="Teams that must sign an expert review round (default: every team)."
    )
    live_without_go: Literal["warn", "refuse"] = Field(
        default="warn", description="What a plan that starts the live phase without a go decision gets."
    )


class _Probe(PlanModel):
    """What every probe has; each kind below narrows ``kind``, ``target`` and ``threshold``
    (docs/plan-format.md#monitoring; run by eventguard.probes)."""

    id: Id
    kind: str
    target: Url | None = Field(default=None, description="What is probed.")
    interval: Duration = Field(default=timedelta(seconds=30), description="Time between two checks.")
    intervals: dict[PhaseName, Duration] = Field(
        default_factory=dict, description="Interval per phase (e.g. live: 10s, prep: 5m); others: interval."
    )
    timeout: Duration = Field(default=timedelta(seconds=10), description="Longest a check may take.")
    fail_after: int = Field(default=1, ge=1, le=100, description="Failed checks in a row before it alerts.")
    threshold: Any = None
    scenario: Id | None = Field(default=None, description="Scenario of the alerts this probe raises.")
    phases: list[PhaseName] = Field(default_factory=list, description="Empty: all phases.")
    labels: dict[str, str] = Field(default_factory=dict, description="Labels of the alerts it raises.")
    component: Id | None = Field(default=None, description="Core function whose page charts it.")

    def interval_in(self, phase: str | None) -> timedelta:
        """The interval in ``phase`` (``intervals`` first, then ``interval``)."""
        return self.intervals.get(cast(PhaseName, phase), self.interval) if phase else self.interval


class HttpProbe(_Probe):
    kind: Literal["http"]
    target: Url
    threshold: Duration = Field(default=timedelta(seconds=5), description="Slowest acceptable answer.")
    expect_status: int = 200
    method: Literal["GET", "HEAD", "POST"] = "GET"
    headers: dict[str, str] = Field(default_factory=dict, description="Request headers.")
    keyword: str | None = Field(default=None, description="Text the body must contain.")
    json_path: str | None = Field(
        default=None, description="Dotted path into a JSON body (a.b.0.c) that must exist."
    )
    json_equals: str | None = Field(default=None, description="What the value at json_path must equal.")
    tls_expiry_days: int | None = Field(
        default=None, ge=1, le=3650, description="Fail when the TLS certificate expires within N days."
    )
    verify_tls: bool = Field(default=True, description="Check the certificate chain (false: self-signed).")


class HlsProbe(_Probe):
    kind: Literal["hls"]
    target: Url = Field(description="URL of the HLS playlist (.m3u8), master or media.")
    threshold: Duration = Field(
        default=timedelta(seconds=30), description="Longest the media sequence may stay the same."
    )
    stale_targets: float = Field(
        default=3.0,
        gt=0,
        le=100,
        description="Fail when the newest segment is older than N x target duration.",
    )
    check_segment: bool = Field(default=True, description="Fetch the newest segment too.")


class MetricThreshold(PlanModel):
    op: Literal[">", ">=", "<", "<="]
    value: float

    def crossed(self, value: float) -> bool:
        return {
            ">": value > self.value,
            ">=": value >= self.value,
            "<": value < self.value,
            "<=": value <= self.value,
        }[self.op]


class MetricProbe(_Probe):
    """A Prometheus instant query (``target`` + ``query``), or, without them, a value pushed to
    ``POST /api/v1/probes/{id}/value``; alerts while the threshold is crossed."""

    kind: Literal["metric_threshold"]
    target: Url | None = Field(default=None, description="Prometheus query API base URL; none: pushed.")
    threshold: MetricThreshold
    query: Text | None = Field(default=None, description="PromQL expression compared with the threshold.")
    for_: Duration = Field(
        default=timedelta(0), alias="for", description="How long the threshold must be crossed."
    )
    stale_after: Duration | None = Field(
        default=None, description="A pushed value older than this fails (none: kept until replaced)."
    )


class HeartbeatProbe(_Probe):
    """Alerts when the beats the monitored system sends (to ``/api/v1/probes/{id}/beat``) stop for
    longer than ``interval`` plus ``threshold`` (``target`` is informational)."""

    kind: Literal["heartbeat"]
    threshold: Duration = Field(default=timedelta(minutes=1), description="Grace after a missed beat.")


class TcpProbe(_Probe):
    kind: Literal["tcp"]
    host: Text
    port: int = Field(ge=1, le=65535)
    threshold: Duration = Field(default=timedelta(seconds=3), description="Slowest acceptable connect.")


class DnsProbe(_Probe):
    """Resolution by the worker's resolver; fails when the name does not resolve (or not to ``expect``)."""

    kind: Literal["dns"]
    name: Text = Field(description="Host name to resolve.")
    expect: list[str] = Field(default_factory=list, description="Addresses one of which must be answered.")
    threshold: Duration = Field(default=timedelta(seconds=2), description="Slowest acceptable answer.")


class ParticipationProbe(_Probe):
    """参与度不足: a count of viewers or sign-ins (a Prometheus query, or pushed to
    ``/api/v1/probes/{id}/value``) below the phase's expected attendance."""

    kind: Literal["participation"]
    target: Url | None = Field(default=None, description="Prometheus query API base URL; none: pushed.")
    query: Text | None = None
    expected: dict[PhaseName, float] = Field(description="Expected count per phase (e.g. live: 5000).")
    min_ratio: float = Field(default=1.0, gt=0, le=10, description="Fail below expected x min_ratio.")
    stale_after: Duration | None = None


MonitoringRule = Annotated[
    HttpProbe | HlsProbe | MetricProbe | HeartbeatProbe | TcpProbe | DnsProbe | ParticipationProbe,
    Field(discriminator="kind"),
]


class WordList(PlanModel):
    id: Id
    language: Language
    words: list[Text] = Field(default_factory=list, description="Words and phrases (case-insensitive).")


class WatchAlert(PlanModel):
    labels: dict[str, str] = Field(description="Labels of the alert (the classification rules match them).")
    threshold: int = Field(ge=1, description="Hits within window before the alert fires.")


class ContentWatch(PlanModel):
    """内容合规 / 恶意刷屏: participant messages pushed to ``/api/v1/watch/messages`` (eventguard.watch)."""

    retention: Duration = Field(default=timedelta(days=7), description="How long messages are kept.")
    window: Duration = Field(default=timedelta(minutes=1), description="Window of the flood counts.")
    sender_max_messages: int = Field(default=20, ge=1, description="Messages of one sender per window.")
    overall_max_messages: int = Field(default=10_000, ge=1, description="Messages of everyone per window.")
    duplicate_ratio: float = Field(
        default=0.8, gt=0, le=1, description="Share of one sender's window that repeats one text."
    )
    duplicate_min: int = Field(default=5, ge=2, description="Fewest messages before the ratio counts.")
    words: list[WordList] = Field(default_factory=list)
    content_alert: WatchAlert | None = Field(default=None, description="Sensitive-word hits.")
    flood_alert: WatchAlert | None = Field(default=None, description="Flooded messages.")


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


# -- Maintenance windows (docs/plan-format.md#maintenance-windows; applied by eventguard.noise)

LABEL_NAME_PATTERN = r"^[A-Za-z_][A-Za-z0-9_]*$"


class LabelMatcher(PlanModel):
    """One Alertmanager matcher: ``=`` equal, ``!=`` not equal, ``=~`` / ``!~`` anchored regex."""

    name: Annotated[str, StringConstraints(pattern=LABEL_NAME_PATTERN)] = Field(description="Label name.")
    op: Literal["=", "!=", "=~", "!~"] = "="
    value: str = Field(max_length=1000, description="A missing label has the empty value.")


class StatusPagePost(PlanModel):
    """A maintenance window that posts the status page's scheduled maintenance (docs/noise.md)."""

    components: list[Id] = Field(min_length=1, description="Core functions shown under maintenance.")
    title: LocalizedText | None = Field(default=None, description="Default: the window's name.")
    body: LocalizedText | None = Field(default=None, description="What participants read.")
    announce_before: Duration = Field(
        default=timedelta(hours=24), description="Posted as scheduled this long before each occurrence."
    )
    notify: bool = Field(default=True, description="Tell subscribers when posted, at start and at end.")


class MaintenanceWindowSpec(PlanModel):
    """Planned work: matching alerts are kept and shown, not paged, while the window is on."""

    id: Id
    name: LocalizedText
    matchers: list[LabelMatcher] = Field(min_length=1, description="All must match (AND).")
    start: AwareDatetime = Field(description="The first occurrence; repeats keep its local wall time.")
    duration: Duration
    repeat: Literal["once", "daily", "weekly"] = Field(
        default="once", description="Repeats in the event's time zone (DST-aware)."
    )
    until: AwareDatetime | None = Field(default=None, description="No occurrence starts at or after it.")
    status_page: StatusPagePost | None = Field(
        default=None, description="Post each occurrence as the status page's scheduled maintenance."
    )


# -- Inhibition, flapping and reminders (docs/plan-format.md#noise; applied by eventguard.noise)

EQUAL_PATTERN = r"^(scenario|core_functions|[A-Za-z_][A-Za-z0-9_]*)$"


class InhibitSource(PlanModel):
    """The open incident that inhibits: its level, scenario, core functions, opening alert's labels."""

    levels: list[LevelNumber] = Field(default=[1], description="Default: level 1.")
    scenarios: list[Id] = Field(default_factory=list, description="Empty: any scenario.")
    core_functions: list[Id] = Field(default_factory=list, description="Empty: any; else one shared.")
    matchers: list[LabelMatcher] = Field(
        default_factory=list, description="On the labels of the alert that opened the incident."
    )


class InhibitTarget(PlanModel):
    """The alerts that join the source incident instead of opening (and paging) one of their own."""

    levels: list[LevelNumber] = Field(
        default_factory=list, description="Empty: every level less severe than the source's."
    )
    scenarios: list[Id] = Field(default_factory=list, description="Empty: any scenario.")
    core_functions: list[Id] = Field(default_factory=list, description="Empty: any; else one shared.")
    matchers: list[LabelMatcher] = Field(default_factory=list, description="On the alert's labels.")


class InhibitRule(PlanModel):
    """Alertmanager's inhibit_rules, adapted: source selects an open incident, target the alerts."""

    id: Id
    name: LocalizedText | None = None
    source: InhibitSource = Field(default_factory=InhibitSource)
    target: InhibitTarget = Field(default_factory=InhibitTarget)
    equal: list[Annotated[str, StringConstraints(pattern=EQUAL_PATTERN)]] = Field(
        default_factory=list,
        description="What source and target share: scenario, core_functions (one in common) or label names.",
    )


class FlappingSpec(PlanModel):
    """An alert that fires and resolves more than ``times`` times within ``within`` is flapping."""

    times: int = Field(default=3, ge=1, le=100, description="Fire-and-resolve cycles allowed.")
    within: Duration = Field(default=timedelta(minutes=30), description="The sliding window counted.")
    levels: list[LevelNumber] = Field(default_factory=list, description="Empty: every level.")


class ReminderSpec(PlanModel):
    """Re-notify the current level's people while an incident stays unacknowledged or open."""

    level: LevelNumber
    unacknowledged_every: Duration | None = Field(default=None, description="While nobody acknowledged.")
    open_every: Duration | None = Field(default=None, description="While acknowledged but not resolved.")
    max: int = Field(default=12, ge=1, le=100, description="Reminders per incident at most.")


class TransientSpec(PlanModel):
    """Opt-in per level (never level 1): an incident whose alerts resolve within ``within`` does not page."""

    level: LevelNumber
    within: Duration = Field(description="Paging waits this long; still firing then, it pages.")


class NoiseSpec(PlanModel):
    inhibit_rules: list[InhibitRule] = Field(default_factory=list)
    flapping: FlappingSpec | None = None
    reminders: list[ReminderSpec] = Field(default_factory=list)
    transient: list[TransientSpec] = Field(default_factory=list)

    def transient_for(self, level: int) -> TransientSpec | None:
        """The level's transient setting; level 1 always pages at once, whatever the plan says."""
        if level == 1:
            return None
        return next((item for item in self.transient if item.level == level), None)

    def reminder(self, level: int) -> ReminderSpec | None:
        return next((item for item in self.reminders if item.level == level), None)


class WarRoomPolicy(PlanModel):
    """War rooms (作战室): a group chat per incident on the team's chat platforms (docs/chat.md)."""

    levels: list[LevelNumber] = Field(default=[1, 2], description="Levels whose incidents get a war room.")
    platforms: list[Literal["slack", "feishu", "dingtalk", "wecom"]] = Field(
        default_factory=list,
        description="Platforms a room is opened on; empty: every platform the event has an app for.",
    )
    drills: bool = Field(default=True, description="Whether a drill's incident of those levels gets one too.")


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
    risk_categories: list[RiskCategory] = Field(default_factory=list)
    risks: list[Risk] = Field(default_factory=list)
    surveys: Surveys = Field(default_factory=Surveys)
    readiness: Readiness = Field(default_factory=Readiness)
    monitoring: list[MonitoringRule] = Field(default_factory=list)
    content_watch: ContentWatch | None = None
    schedules: list[Schedule] = Field(default_factory=list)
    drills: list[Drill] = Field(default_factory=list)
    postmortems: PostmortemPolicy = Field(default_factory=PostmortemPolicy)
    maintenance_windows: list[MaintenanceWindowSpec] = Field(default_factory=list)
    noise: NoiseSpec = Field(default_factory=NoiseSpec)
    kit: KitSettings = Field(default_factory=KitSettings)
    compliance: Compliance = Field(default_factory=Compliance)
    war_rooms: WarRoomPolicy = Field(default_factory=WarRoomPolicy)

    def level(self, number: int) -> ResponseLevel | None:
        return next((item for item in self.levels if item.level == number), None)

    def team(self, team_id: str) -> Team | None:
        return next((item for item in self.teams if item.id == team_id), None)

    def scenario(self, scenario_id: str) -> Scenario | None:
        return next((item for item in self.scenarios if item.id == scenario_id), None)

    def drill(self, drill_id: str) -> Drill | None:
        return next((item for item in self.drills if item.id == drill_id), None)

    def schedule(self, schedule_id: str) -> Schedule | None:
        return next((item for item in self.schedules if item.id == schedule_id), None)
