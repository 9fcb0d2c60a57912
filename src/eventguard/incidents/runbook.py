"""Runbook tasks: the scenario's steps as a task list, core functions restored in the plan's priority."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from eventguard.audit import service as audit
from eventguard.audit.service import Actor
from eventguard.clock import Clock
from eventguard.errors import Conflict, InvalidInput, NotFound
from eventguard.i18n import Message
from eventguard.incidents import timeline
from eventguard.incidents.models import Incident, RunbookTask, TaskStatus
from eventguard.plans.schemas import PlanSpec, RunbookStep


@dataclass(frozen=True)
class TaskDraft:
    step: RunbookStep
    owner_team: str


def restore_order(spec: PlanSpec, steps: Sequence[RunbookStep]) -> list[RunbookStep]:
    """Steps tied to a core function are put in restore-priority order (login before payment before
    livestream, as the plan ranks them) within the slots they occupy; the other steps (assess, back up
    data, announce) keep the place the plan gave them."""
    priority = {function.id: function.restore_priority for function in spec.core_functions}
    slots = [index for index, step in enumerate(steps) if step.core_function in priority]
    ranked = sorted(
        (steps[index] for index in slots),
        key=lambda step: priority[step.core_function or ""],
    )
    ordered = list(steps)
    for slot, step in zip(slots, ranked, strict=True):
        ordered[slot] = step
    return ordered


def drafts_for(spec: PlanSpec, scenario_id: str | None) -> list[TaskDraft]:
    scenario = spec.scenario(scenario_id) if scenario_id else None
    if scenario is None:
        return []
    # The validator guarantees an owner; a step without one falls to the technical team.
    return [TaskDraft(step, step.owner or "tech") for step in restore_order(spec, scenario.runbook)]


def create_tasks(*, db: Session, incident: Incident, spec: PlanSpec) -> list[RunbookTask]:
    """The incident's task list from its scenario's runbook (nothing for an unclassified incident)."""
    tasks = [
        RunbookTask(
            incident_id=incident.id,
            position=position,
            step_id=draft.step.id,
            title=draft.step.title.model_dump(by_alias=True),
            details=draft.step.details.model_dump(by_alias=True) if draft.step.details else None,
            owner_team=draft.owner_team,
            core_function=draft.step.core_function,
        )
        for position, draft in enumerate(drafts_for(spec, incident.scenario_id), start=1)
    ]
    db.add_all(tasks)
    return tasks


def list_tasks(*, db: Session, incident_id: int) -> Sequence[RunbookTask]:
    query = select(RunbookTask).where(RunbookTask.incident_id == incident_id).order_by(RunbookTask.position)
    return db.scalars(query).all()


def _task(db: Session, incident_id: int, task_id: int) -> RunbookTask:
    task = db.get(RunbookTask, task_id)
    if task is None or task.incident_id != incident_id:
        raise NotFound(Message("No task {task} on this incident.", {"task": task_id}), code="task_not_found")
    return task


_NEXT: dict[str, tuple[frozenset[TaskStatus], TaskStatus]] = {
    "start": (frozenset({TaskStatus.pending}), TaskStatus.in_progress),
    "done": (frozenset({TaskStatus.pending, TaskStatus.in_progress}), TaskStatus.done),
    "skip": (frozenset({TaskStatus.pending, TaskStatus.in_progress}), TaskStatus.skipped),
    "reopen": (frozenset({TaskStatus.done, TaskStatus.skipped}), TaskStatus.pending),
}


def change_task(
    *,
    db: Session,
    incident: Incident,
    task_id: int,
    action: str,
    actor: Actor,
    clock: Clock,
    reason: str | None = None,
) -> RunbookTask:
    """Start, finish, skip (with a reason) or reopen a task; the change goes on the timeline."""
    if action not in _NEXT:
        raise InvalidInput(
            Message("Unknown task action {action}.", {"action": action}), code="unknown_action"
        )
    task = _task(db, incident.id, task_id)
    allowed_from, target = _NEXT[action]
    if task.status not in allowed_from:
        raise Conflict(
            Message("The task is {status}; it cannot be changed that way.", {"status": task.status.value}),
            code="illegal_task_transition",
        )
    if action == "skip" and not (reason and reason.strip()):
        raise InvalidInput(Message("Skipping a task needs a reason."), code="reason_required")
    now = clock.now()
    task.status = target
    if target is TaskStatus.in_progress:
        task.started_at = now
    elif target in (TaskStatus.done, TaskStatus.skipped):
        task.finished_at, task.finished_by, task.skip_reason = now, actor.name, reason
    else:
        task.finished_at = task.finished_by = task.skip_reason = None
    audit.record(
        db=db,
        actor=actor,
        action=f"incident.task.{action}",
        target_type="incident",
        target_id=incident.id,
        after={"task_id": task.id, "step_id": task.step_id, "status": target.value, "reason": reason},
        clock=clock,
    )
    timeline.add(
        db=db,
        incident=incident,
        kind="task",
        actor=actor,
        clock=clock,
        text=reason,
        data={"task_id": task.id, "step_id": task.step_id, "action": action, "status": target.value},
    )
    return task
