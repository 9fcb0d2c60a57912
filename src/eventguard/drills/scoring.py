"""Scoring a drill against the plan's targets (docs/drills.md#scoring).

A live run is scored on its first incident (the one its first injection opened; later injections
usually join it): time to acknowledge, time to notify each required role against ``notify_within``,
time to switch over to a backup plan, runbook tasks done in restore order, time to publish a public
update. Each criterion scores 0-100 — a time met scores 100, a late one loses points in proportion
to how late it is and reaches 0 at twice the target, one that never happened scores 0 — and the
run's score is their mean. A tabletop run scores each question by its rating (0, 1, 2 → 0, 50, 100).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from eventguard.comms.backups import plans as backups
from eventguard.comms.models import UpdateState
from eventguard.comms.updates import drafts
from eventguard.drills.models import DrillAnswer
from eventguard.incidents import runbook
from eventguard.incidents.models import Incident, RunbookTask, TaskStatus
from eventguard.notify import service as notify
from eventguard.plans.schemas import Drill, PlanSpec

DEFAULT_TARGET = timedelta(minutes=5)


@dataclass
class Criterion:
    key: str  # acknowledge | notify:<target> | backup | runbook | public_update | question:<n>
    title: str  # msgid (console and report translate it)
    points: int
    met: bool
    target_seconds: float | None = None
    actual_seconds: float | None = None
    team: str | None = None
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass
class Scorecard:
    score: int
    passed: bool
    pass_score: int
    criteria: list[Criterion]
    incident_id: int | None = None
    teams: dict[str, int] = field(default_factory=dict)  # team -> its criteria's mean

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Scorecard:
        criteria = [Criterion(**item) for item in data.get("criteria", [])]
        return cls(
            score=data.get("score", 0),
            passed=data.get("passed", False),
            pass_score=data.get("pass_score", 80),
            criteria=criteria,
            incident_id=data.get("incident_id"),
            teams=data.get("teams", {}),
        )


def timed_points(actual: timedelta | None, target: timedelta) -> int:
    """100 within the target, falling linearly to 0 at twice the target; 0 when it never happened."""
    if actual is None:
        return 0
    if actual <= target:
        return 100
    late = (actual - target) / target if target > timedelta(0) else 1.0
    return max(0, round(100 * (1 - late)))


def _timed(
    key: str, title: str, start: datetime, at: datetime | None, target: timedelta, **extra: Any
) -> Criterion:
    actual = at - start if at is not None else None
    return Criterion(
        key=key,
        title=title,
        points=timed_points(actual, target),
        met=actual is not None and actual <= target,
        target_seconds=target.total_seconds(),
        actual_seconds=actual.total_seconds() if actual is not None else None,
        **extra,
    )


def runbook_order(tasks: Sequence[RunbookTask]) -> tuple[int, list[str]]:
    """Points for the runbook (done in restore order / all tasks) and the steps done out of order: a
    done task is out of order when a task after it in restore order was finished before it."""
    if not tasks:
        return 100, []
    done = [(task, task.finished_at) for task in tasks if task.status is TaskStatus.done and task.finished_at]
    out_of_order = [
        task.step_id
        for task, at in done
        if any(other.position > task.position and other_at < at for other, other_at in done)
    ]
    in_order = len(done) - len(out_of_order)
    return round(100 * in_order / len(tasks)), out_of_order


def score_live(*, db: Session, spec: PlanSpec, drill: Drill, incidents: Sequence[Incident]) -> Scorecard:
    """The scorecard of a live run from what its incidents recorded."""
    targets = drill.targets
    if not incidents:
        return _card([], targets.pass_score, None)
    incident = incidents[0]
    level = spec.level(incident.level)
    notify_within = level.notify_within if level else DEFAULT_TARGET
    start = incident.opened_at
    criteria = [
        _timed(
            "acknowledge",
            "Time to acknowledge",
            start,
            incident.acknowledged_at,
            targets.acknowledge_within or notify_within,
        )
    ]
    for sla in notify.sla_rows(db=db, incident_id=incident.id):
        team = sla.target.split(":")[1] if sla.target.startswith("team:") else None
        criteria.append(
            _timed(
                f"notify:{sla.target}",
                "Time to notify {target}",
                sla.started_at,
                sla.first_delivered_at,
                sla.deadline - sla.started_at,
                team=team,
                detail={"target": sla.target},
            )
        )
    scenario = spec.scenario(drill.scenario)
    if targets.backup_within is not None and scenario is not None and scenario.backup_plans:
        activations = [a for i in incidents for a in backups.list_for_incident(db=db, incident_id=i.id)]
        first = min((a.activated_at for a in activations), default=None)
        criteria.append(
            _timed("backup", "Time to switch over to a backup plan", start, first, targets.backup_within)
        )
    tasks = runbook.list_tasks(db=db, incident_id=incident.id)
    points, unordered = runbook_order(tasks)
    criteria.append(
        Criterion(
            key="runbook",
            title="Runbook tasks done in restore order",
            points=points,
            met=points == 100,
            detail={
                "tasks": len(tasks),
                "done": sum(task.status is TaskStatus.done for task in tasks),
                "out_of_order": unordered,
            },
        )
    )
    for team in sorted({task.owner_team for task in tasks}):
        mine = [task for task in tasks if task.owner_team == team]
        team_points, team_unordered = runbook_order(mine)
        criteria.append(
            Criterion(
                key=f"runbook:{team}",
                title="Runbook tasks of team {team}",
                points=team_points,
                met=team_points == 100,
                team=team,
                detail={"out_of_order": team_unordered, "team": team},
            )
        )
    if targets.public_update_within is not None:
        published = [
            u.published_at
            for i in incidents
            for u in drafts.list_for_incident(db=db, incident_id=i.id)
            if u.state is UpdateState.published and u.published_at is not None
        ]
        criteria.append(
            _timed(
                "public_update",
                "Time to publish a public update",
                start,
                min(published, default=None),
                targets.public_update_within,
            )
        )
    return _card(criteria, targets.pass_score, incident.id)


def score_tabletop(drill: Drill, answers: Sequence[DrillAnswer]) -> Scorecard:
    by_position = {answer.position: answer for answer in answers}
    criteria = []
    for position, _step in enumerate(drill.steps, start=1):
        answer = by_position.get(position)
        rating = answer.rating if answer is not None else 0
        criteria.append(
            Criterion(
                key=f"question:{position}",
                title="Question {number}",
                points=rating * 50,
                met=rating == 2,
                team=answer.team if answer is not None else None,
                detail={"number": position, "answered": answer is not None},
            )
        )
    return _card(criteria, drill.targets.pass_score, None)


def _card(criteria: list[Criterion], pass_score: int, incident_id: int | None) -> Scorecard:
    # The per-team runbook rows detail the overall runbook row: they do not count twice.
    counted = [c for c in criteria if not c.key.startswith("runbook:")]
    total = round(sum(c.points for c in counted) / len(counted)) if counted else 0
    teams: dict[str, list[int]] = {}
    for criterion in criteria:
        if criterion.team:
            teams.setdefault(criterion.team, []).append(criterion.points)
    return Scorecard(
        score=total,
        passed=bool(counted) and total >= pass_score,
        pass_score=pass_score,
        criteria=criteria,
        incident_id=incident_id,
        teams={team: round(sum(points) / len(points)) for team, points in sorted(teams.items())},
    )
