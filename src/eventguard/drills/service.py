"""Drill runs: start one from the plan's drill, inject its script into the real pipeline when each
step falls due (live), record the facilitator's answers (tabletop), finish and score it.

Keyword-only, take the session, flush only: the caller commits."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

import orjson
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from eventguard.alerts.classify import DRILL_LABEL, DRILL_SOURCE, DRILL_SOURCE_LABEL
from eventguard.alerts.journal.append import Append, insert_rows
from eventguard.audit import service as audit
from eventguard.audit.service import Actor
from eventguard.clock import Clock
from eventguard.drills import scoring
from eventguard.drills.models import DrillAnswer, DrillInjection, DrillRun, DrillStatus
from eventguard.errors import Conflict, InvalidInput, NotFound
from eventguard.events.models import Event
from eventguard.i18n import Message
from eventguard.incidents import queries as incident_queries
from eventguard.incidents import service as incidents
from eventguard.incidents.models import Incident
from eventguard.plans import service as plans
from eventguard.plans.schemas import Drill, DrillStep, PlanSpec

S = DrillStatus


def view(run: DrillRun) -> dict[str, Any]:
    """What audit entries carry of a run."""
    return {
        "id": run.id,
        "event_id": run.event_id,
        "drill_id": run.drill_id,
        "mode": run.mode,
        "status": run.status.value,
        "score": run.score,
    }


def drill_of(spec: PlanSpec, drill_id: str) -> Drill:
    """The plan's drill ``drill_id``; 404 with the known ids otherwise."""
    drill = spec.drill(drill_id)
    if drill is None:
        raise NotFound(
            Message("The plan has no drill {drill}.", {"drill": drill_id}),
            code="drill_not_found",
            details={"known": [item.id for item in spec.drills]},
        )
    return drill


def get(*, db: Session, run_id: int, for_update: bool = False) -> DrillRun:
    run = db.get(DrillRun, run_id, with_for_update=for_update or None)
    if run is None:
        raise NotFound(Message("No drill run {id}.", {"id": run_id}), code="drill_run_not_found")
    return run


def list_runs(*, db: Session, event_id: int | None = None, limit: int = 100) -> Sequence[DrillRun]:
    """Runs, newest first."""
    query = select(DrillRun)
    if event_id is not None:
        query = query.where(DrillRun.event_id == event_id)
    return db.scalars(query.order_by(DrillRun.created_at.desc(), DrillRun.id.desc()).limit(limit)).all()


def start(*, db: Session, event: Event, drill_id: str, actor: Actor, clock: Clock) -> DrillRun:
    """Start a run of the plan's drill now: a live run schedules its injections at start + offset
    (the ones due now are injected by the next ``inject_due``); a tabletop run waits for answers."""
    spec = plans.get_active_plan(db=db, event_id=event.id)
    drill = drill_of(spec, drill_id)
    _refuse_a_second_running(db, event.id, drill_id)
    now = clock.now()
    run = DrillRun(
        event_id=event.id,
        drill_id=drill.id,
        scenario_id=drill.scenario,
        mode=drill.mode,
        status=S.running,
        created_at=now,
        created_by=actor.name,
        scorecard={},
    )
    _begin(db, run, spec, drill, event, now)
    audit.added(
        run, db=db, actor=actor, action="drill.start", target_type="drill_run", clock=clock, view=view
    )
    _schedule_injections(db, run, spec, drill, now)
    return run


def plan(*, db: Session, event: Event, drill_id: str, actor: Actor, clock: Clock) -> DrillRun:
    """Plan a run of the plan's drill (``planned``): nothing happens until someone starts it."""
    spec = plans.get_active_plan(db=db, event_id=event.id)
    drill = drill_of(spec, drill_id)
    run = DrillRun(
        event_id=event.id,
        drill_id=drill.id,
        scenario_id=drill.scenario,
        mode=drill.mode,
        status=S.planned,
        created_at=clock.now(),
        created_by=actor.name,
        scorecard={},
    )
    return audit.added(
        run, db=db, actor=actor, action="drill.plan", target_type="drill_run", clock=clock, view=view
    )


def start_planned(*, db: Session, run: DrillRun, actor: Actor, clock: Clock) -> DrillRun:
    """Start a planned run now, on the plan in force (its drill must still be in it)."""
    if run.status is not S.planned:
        raise Conflict(
            Message("Drill run {id} is {status}, not planned.", {"id": run.id, "status": run.status.value}),
            code="drill_not_planned",
        )
    event = db.get_one(Event, run.event_id)
    spec = plans.get_active_plan(db=db, event_id=event.id)
    drill = drill_of(spec, run.drill_id)
    _refuse_a_second_running(db, event.id, run.drill_id)
    now = clock.now()
    with audit.audited(
        run, db=db, actor=actor, action="drill.start", target_type="drill_run", clock=clock, view=view
    ):
        run.mode, run.scenario_id = drill.mode, drill.scenario
        _begin(db, run, spec, drill, event, now)
    _schedule_injections(db, run, spec, drill, now)
    return run


def _refuse_a_second_running(db: Session, event_id: int, drill_id: str) -> None:
    running = db.scalar(
        select(DrillRun.id).where(
            DrillRun.event_id == event_id, DrillRun.drill_id == drill_id, DrillRun.status == S.running
        )
    )
    if running is not None:
        raise Conflict(
            Message("Drill {drill} is already running (run {id}).", {"drill": drill_id, "id": running}),
            code="drill_running",
        )


def _begin(db: Session, run: DrillRun, spec: PlanSpec, drill: Drill, event: Event, now: datetime) -> None:
    run.status, run.started_at = S.running, now
    run.plan_version_id = plans.get_version(db=db, slug=event.slug).id


def _schedule_injections(db: Session, run: DrillRun, spec: PlanSpec, drill: Drill, now: datetime) -> None:
    if drill.mode != "live":
        return
    db.flush()  # the run's id, which every injected alert carries
    for position, step in enumerate(drill.steps, start=1):
        db.add(
            DrillInjection(
                run_id=run.id,
                position=position,
                kind=step.inject or "alert",
                due_at=now + step.at,
                alert=injected_alert(spec, run.id, step),
            )
        )
    db.flush()


def injected_alert(spec: PlanSpec, run_id: int, step: DrillStep) -> dict[str, Any]:
    """The generic alert a live step injects, labelled with its run and the source it stands for."""
    labels = dict(step.labels)
    title = step.title
    source = step.source
    if step.inject == "probe_failure":
        probe = next((p for p in spec.monitoring if p.id == step.probe), None)
        labels = {**(probe.labels if probe else {}), "probe": step.probe or "", **labels}
        title = title or f"Probe {step.probe} failing"
        source = "probe"
    elif step.inject == "complaint":
        labels = {"alertname": "ParticipantComplaint", **labels}
    elif step.inject == "channel_down":
        labels = {"alertname": "ChannelDown", "channel": step.channel or "", **labels}
        title = title or f"Channel {step.channel} is down"
    labels.update({DRILL_LABEL: str(run_id), DRILL_SOURCE_LABEL: source})
    return {"title": title or "Drill alert", "labels": labels, "annotations": dict(step.annotations)}


def inject_due(*, db: Session, clock: Clock) -> list[DrillInjection]:
    """Write every live injection that is due to the intake journal, in the same transaction that
    marks it injected (so each is injected exactly once, also with several workers)."""
    now = clock.now()
    query = (
        select(DrillInjection, DrillRun.event_id)
        .join(DrillRun, DrillRun.id == DrillInjection.run_id)
        .where(
            DrillInjection.injected_at.is_(None),
            DrillInjection.due_at <= now,
            DrillRun.status == S.running,
        )
        .order_by(DrillInjection.due_at, DrillInjection.run_id, DrillInjection.position)
        .limit(500)
        .with_for_update(of=DrillInjection, skip_locked=True)
    )
    due = [(row[0], row[1]) for row in db.execute(query)]
    if not due:
        return []
    appends = [
        Append(
            event_id=event_id,
            integration_id=None,
            kind=DRILL_SOURCE,
            received_at=now,
            body=orjson.dumps(injection.alert),
            alert_count=1,
        )
        for injection, event_id in due
    ]
    ids = insert_rows(db=db, appends=appends)
    for (injection, _), journal_id in zip(due, ids, strict=True):
        injection.injected_at, injection.journal_id = now, journal_id
    db.flush()
    return [injection for injection, _ in due]


def injections(*, db: Session, run_id: int) -> Sequence[DrillInjection]:
    query = select(DrillInjection).where(DrillInjection.run_id == run_id).order_by(DrillInjection.position)
    return db.scalars(query).all()


def answers(*, db: Session, run_id: int) -> Sequence[DrillAnswer]:
    query = select(DrillAnswer).where(DrillAnswer.run_id == run_id).order_by(DrillAnswer.position)
    return db.scalars(query).all()


def run_incidents(*, db: Session, run: DrillRun) -> Sequence[Incident]:
    """The incidents the run's injections opened (its alerts group apart from everyone else's)."""
    prefix = f"{DRILL_LABEL}={run.id}|"
    return incident_queries.with_group_prefix(db=db, event_id=run.event_id, prefix=prefix)


def record_answer(
    *,
    db: Session,
    run: DrillRun,
    spec: PlanSpec,
    position: int,
    answer: str,
    rating: int,
    team: str | None,
    actor: Actor,
    clock: Clock,
) -> DrillAnswer:
    """Record (or correct) the answer to tabletop step ``position`` (1-based) with its rating:
    0 missed, 1 partly, 2 as the plan expects."""
    _require_running(run)
    drill = drill_of(spec, run.drill_id)
    if run.mode != "tabletop":
        raise Conflict(Message("Only a tabletop drill records answers."), code="drill_not_tabletop")
    if not 1 <= position <= len(drill.steps):
        raise InvalidInput(
            Message("Drill {drill} has no step {step}.", {"drill": drill.id, "step": position}),
            code="unknown_drill_step",
        )
    if rating not in (0, 1, 2):
        raise InvalidInput(Message("A rating is 0, 1 or 2."), code="invalid_rating")
    if not answer.strip():
        raise InvalidInput(Message("An answer cannot be empty."), code="empty_answer")
    if team is not None and spec.team(team) is None:
        raise InvalidInput(Message("The plan has no team {team}.", {"team": team}), code="unknown_team")
    found = db.scalar(
        select(DrillAnswer).where(DrillAnswer.run_id == run.id, DrillAnswer.position == position)
    )
    now = clock.now()
    if found is None:
        found = DrillAnswer(run_id=run.id, position=position, answer="", answered_by="", answered_at=now)
        db.add(found)
    found.answer, found.rating, found.team = answer, rating, team
    found.answered_by, found.answered_at = actor.name, now
    db.flush()
    audit.record(
        db=db,
        actor=actor,
        action="drill.answer",
        target_type="drill_run",
        target_id=run.id,
        after={"position": position, "answer": answer, "rating": rating, "team": team},
        clock=clock,
    )
    return found


def _require_running(run: DrillRun) -> None:
    if run.status is not S.running:
        raise Conflict(
            Message("Drill run {id} is {status}, not running.", {"id": run.id, "status": run.status.value}),
            code="drill_not_running",
        )


def score(*, db: Session, run: DrillRun) -> scoring.Scorecard:
    """The run's scorecard now (a running run is scored as it stands)."""
    spec = spec_of(db, run)
    drill = drill_of(spec, run.drill_id)
    if run.mode == "tabletop":
        return scoring.score_tabletop(drill, answers(db=db, run_id=run.id))
    return scoring.score_live(db=db, spec=spec, drill=drill, incidents=run_incidents(db=db, run=run))


def spec_of(db: Session, run: DrillRun) -> PlanSpec:
    """The plan version the run started with (a later plan change does not rescore it)."""
    if run.plan_version_id is not None:
        return plans.spec_of_version_id(db=db, version_id=run.plan_version_id)
    return plans.get_active_plan(db=db, event_id=run.event_id)


def finish(*, db: Session, run: DrillRun, notes: str | None, actor: Actor, clock: Clock) -> DrillRun:
    """End the run: score it, keep the scorecard, resolve the drill incidents still open."""
    _require_running(run)
    with audit.audited(
        run, db=db, actor=actor, action="drill.finish", target_type="drill_run", clock=clock, view=view
    ):
        card = score(db=db, run=run)
        run.status, run.finished_at, run.finished_by = S.finished, clock.now(), actor.name
        run.score, run.passed, run.scorecard = card.score, card.passed, card.as_dict()
        run.notes = notes
    for incident in run_incidents(db=db, run=run):
        if incident.is_open:
            incidents.resolve(db=db, incident=incident, actor=actor, clock=clock, note="drill finished")
    return run


def cancel(*, db: Session, run: DrillRun, actor: Actor, clock: Clock) -> DrillRun:
    """Stop a run (a running or a planned one) without scoring it; injections not made yet are
    never made."""
    if run.status is not S.planned:
        _require_running(run)
    with audit.audited(
        run, db=db, actor=actor, action="drill.cancel", target_type="drill_run", clock=clock, view=view
    ):
        run.status, run.finished_at, run.finished_by = S.cancelled, clock.now(), actor.name
    return run


def elapsed(run: DrillRun, now: datetime) -> timedelta:
    return (run.finished_at or now) - (run.started_at or now)


# --- Hooks (eventguard.domains.HOOKS) -----------------------------------------------------------


def scenario_last_drilled(db: Session, *, event_id: int, scenario_id: str) -> datetime | None:
    """The ``scenario_last_drilled`` hook: when a finished run of a drill of the scenario started."""
    query = select(func.max(DrillRun.started_at)).where(
        DrillRun.event_id == event_id, DrillRun.scenario_id == scenario_id, DrillRun.status == S.finished
    )
    found: datetime | None = db.scalar(query)
    return found


def readiness_checks(db: Session, *, event_id: int, now: datetime) -> list[dict[str, Any]]:
    """The ``readiness_checks`` hook: one item per drill of the plan, ok once a finished run of it
    passed (its score reached the drill's ``pass_score``)."""
    spec = plans.get_active_plan(db=db, event_id=event_id)
    items = []
    for drill in spec.drills:
        latest = db.scalars(
            select(DrillRun)
            .where(
                DrillRun.event_id == event_id, DrillRun.drill_id == drill.id, DrillRun.status == S.finished
            )
            .order_by(DrillRun.finished_at.desc())
            .limit(1)
        ).first()
        detail: Message | None = Message("Never run.")
        if latest is not None:
            detail = Message("Last run {id}: score {score}.", {"id": latest.id, "score": latest.score})
        items.append(
            {
                "key": f"drills.{drill.id}",
                "group": "drills",
                "title": Message("Drill {drill} passed", {"drill": drill.name.get("en")}),
                "ok": bool(latest is not None and latest.passed),
                "detail": detail,
                "fix_path": "/drills",
                "waivable": True,
            }
        )
    return items
