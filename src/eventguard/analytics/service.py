"""Response analytics (docs/analytics.md): MTTA, MTTR, notify-within SLA met %, incidents by
level, scenario, phase and hour, drill scores over time, open and overdue action items.

Pure functions over the database: they only read, take the moment "now" from the caller (an
injectable clock at the edge) and never commit. Every figure is computed in Python from the rows
a :class:`Scope` selects, so SQLite and PostgreSQL answer the same."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from eventguard.analytics.scope import Scope as Scope
from eventguard.analytics.scope import incident_filters, rounded_mean, rounded_median, seconds
from eventguard.analytics.sla import SlaGroup as SlaGroup
from eventguard.analytics.sla import SlaRow as SlaRow
from eventguard.analytics.sla import group_rows
from eventguard.analytics.sla import sla as sla
from eventguard.analytics.sla import sla_rows as sla_rows
from eventguard.drills.models import DrillRun, DrillStatus
from eventguard.events.models import Event
from eventguard.incidents.models import Incident
from eventguard.reviews.models import ActionItem, ActionItemStatus

BREAKDOWNS = ("level", "scenario", "phase", "hour")
OPEN_ITEM_STATES = (ActionItemStatus.open, ActionItemStatus.in_progress)


@dataclass(frozen=True)
class IncidentTimes:
    """One incident's response times, in seconds (None: not acknowledged / not resolved yet)."""

    id: int
    event: str
    title: str
    level: int
    scenario: str | None
    phase: str | None
    is_drill: bool
    opened_at: datetime
    hour: int  # of opened_at, in the event's time zone
    acknowledge_seconds: float | None
    resolve_seconds: float | None


@dataclass(frozen=True)
class ResponseTimes:
    incidents: int
    acknowledged: int
    resolved: int
    mtta_seconds: float | None
    mttr_seconds: float | None
    median_tta_seconds: float | None
    median_ttr_seconds: float | None


@dataclass(frozen=True)
class Bucket:
    key: str
    count: int


@dataclass(frozen=True)
class DrillScore:
    run_id: int
    event: str
    drill_id: str
    scenario_id: str
    mode: str
    finished_at: datetime
    score: int
    passed: bool


@dataclass(frozen=True)
class TeamItems:
    team: str
    open: int
    overdue: int
    done: int


@dataclass
class ActionItems:
    open: int = 0
    overdue: int = 0
    done: int = 0
    teams: list[TeamItems] = field(default_factory=list)


@dataclass
class Analytics:
    """Everything the console page and the summary API show for one scope."""

    scope: Scope
    now: datetime
    response: ResponseTimes
    sla_overall: SlaGroup
    sla: list[SlaGroup]
    breakdowns: dict[str, list[Bucket]]
    drills: list[DrillScore]
    action_items: ActionItems
    incidents: list[IncidentTimes]
    events: list[EventFigures] = field(default_factory=list)


@dataclass(frozen=True)
class EventFigures:
    """One event's headline figures, to compare events side by side."""

    event: str
    response: ResponseTimes
    sla: SlaGroup


def incident_times(*, db: Session, scope: Scope) -> list[IncidentTimes]:
    """The scope's incidents, oldest first, with their times to acknowledge and to resolve."""
    # Columns, not ORM objects: thousands of incidents load in a fraction of the time.
    query = (
        select(
            Incident.id,
            Event.slug,
            Event.timezone,
            Incident.title,
            Incident.level,
            Incident.scenario_id,
            Incident.phase,
            Incident.is_drill,
            Incident.opened_at,
            Incident.acknowledged_at,
            Incident.resolved_at,
        )
        .join(Event, Event.id == Incident.event_id)
        .where(*incident_filters(scope))
    )
    zones: dict[str, ZoneInfo] = {}
    found = []
    for row in db.execute(query.order_by(Incident.opened_at, Incident.id)):
        zone = zones.setdefault(row.timezone, ZoneInfo(row.timezone))
        found.append(
            IncidentTimes(
                id=row.id,
                event=row.slug,
                title=row.title,
                level=row.level,
                scenario=row.scenario_id,
                phase=row.phase,
                is_drill=row.is_drill,
                opened_at=row.opened_at,
                hour=row.opened_at.astimezone(zone).hour,
                acknowledge_seconds=seconds(row.opened_at, row.acknowledged_at),
                resolve_seconds=seconds(row.opened_at, row.resolved_at),
            )
        )
    return found


def response_times(incidents: Sequence[IncidentTimes]) -> ResponseTimes:
    """MTTA over the acknowledged incidents, MTTR over the resolved ones (means and medians)."""
    acks = [i.acknowledge_seconds for i in incidents if i.acknowledge_seconds is not None]
    fixes = [i.resolve_seconds for i in incidents if i.resolve_seconds is not None]
    return ResponseTimes(
        incidents=len(incidents),
        acknowledged=len(acks),
        resolved=len(fixes),
        mtta_seconds=rounded_mean(acks),
        mttr_seconds=rounded_mean(fixes),
        median_tta_seconds=rounded_median(acks),
        median_ttr_seconds=rounded_median(fixes),
    )


def breakdown(incidents: Sequence[IncidentTimes], by: str) -> list[Bucket]:
    """How many incidents per level, scenario, phase or hour of the day (every hour 0-23 listed)."""
    if by not in BREAKDOWNS:
        raise ValueError(by)
    if by == "hour":
        hours = Counter(i.hour for i in incidents)
        return [Bucket(f"{hour:02d}", hours[hour]) for hour in range(24)]
    keys = Counter(str(getattr(i, by) if getattr(i, by) is not None else "—") for i in incidents)
    if by == "level":
        return [Bucket(key, keys[key]) for key in sorted(keys)]
    return [Bucket(key, count) for key, count in sorted(keys.items(), key=lambda kv: (-kv[1], kv[0]))]


def drill_scores(*, db: Session, scope: Scope) -> list[DrillScore]:
    """Finished drill runs with their scores, oldest first (``since``/``until`` on when they finished)."""
    query = (
        select(DrillRun, Event.slug)
        .join(Event, Event.id == DrillRun.event_id)
        .where(DrillRun.status == DrillStatus.finished, DrillRun.finished_at.is_not(None))
    )
    if scope.event_id is not None:
        query = query.where(DrillRun.event_id == scope.event_id)
    if scope.since is not None:
        query = query.where(DrillRun.finished_at >= scope.since)
    if scope.until is not None:
        query = query.where(DrillRun.finished_at < scope.until)
    rows = db.execute(query.order_by(DrillRun.finished_at, DrillRun.id)).all()
    return [
        DrillScore(
            run_id=run.id,
            event=slug,
            drill_id=run.drill_id,
            scenario_id=run.scenario_id,
            mode=run.mode,
            finished_at=run.finished_at,
            score=run.score or 0,
            passed=bool(run.passed),
        )
        for run, slug in rows
        if run.finished_at is not None
    ]


def action_items(*, db: Session, scope: Scope, now: datetime) -> ActionItems:
    """Action items as they stand at ``now``: open (open or in progress), overdue (open past their
    due date) and done, per owner team (``since``/``until`` on when they were created)."""
    query = select(ActionItem)
    if scope.event_id is not None:
        query = query.where(ActionItem.event_id == scope.event_id)
    if scope.since is not None:
        query = query.where(ActionItem.created_at >= scope.since)
    if scope.until is not None:
        query = query.where(ActionItem.created_at < scope.until)
    summary = ActionItems()
    teams: dict[str, Counter[str]] = {}
    for item in db.scalars(query):
        counts = teams.setdefault(item.owner_team, Counter())
        if item.status in OPEN_ITEM_STATES:
            counts["open"] += 1
            counts["overdue"] += item.due_at < now
        elif item.status is ActionItemStatus.done:
            counts["done"] += 1
    for team in sorted(teams):
        counts = teams[team]
        summary.teams.append(TeamItems(team, counts["open"], counts["overdue"], counts["done"]))
        summary.open += counts["open"]
        summary.overdue += counts["overdue"]
        summary.done += counts["done"]
    return summary


def per_event(
    incidents: Sequence[IncidentTimes], rows: Sequence[SlaRow], now: datetime
) -> list[EventFigures]:
    """MTTA, MTTR and SLA met % of each event of the incidents, by event slug."""
    event_of = {incident.id: incident.event for incident in incidents}
    slugs = sorted(set(event_of.values()))
    return [
        EventFigures(
            event=slug,
            response=response_times([i for i in incidents if i.event == slug]),
            sla=group_rows("*", None, [row for row in rows if event_of.get(row.incident_id) == slug], now),
        )
        for slug in slugs
    ]


def analyse(*, db: Session, scope: Scope, now: datetime) -> Analytics:
    """Every figure of the scope at ``now``, read once."""
    incidents = incident_times(db=db, scope=scope)
    rows = sla_rows(db=db, scope=scope)
    overall, per_role = sla(rows, now)
    return Analytics(
        scope=scope,
        now=now,
        response=response_times(incidents),
        sla_overall=overall,
        sla=per_role,
        breakdowns={by: breakdown(incidents, by) for by in BREAKDOWNS},
        drills=drill_scores(db=db, scope=scope),
        action_items=action_items(db=db, scope=scope, now=now),
        incidents=incidents,
        events=per_event(incidents, rows, now),
    )
