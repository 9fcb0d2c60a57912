"""The gate at the phase change to ``live``: a plan apply that starts the live phase now (the event
was not live under the plan it replaces, and is under the new one) without a go decision in force is
refused (409 ``no_go_decision``) when the plan says ``readiness.live_without_go: refuse``, and audited
as ``readiness.live_without_go`` when it says ``warn`` (the default). The console warns too."""

from __future__ import annotations

from sqlalchemy.orm import Session

from eventguard.audit.service import Actor, record
from eventguard.clock import Clock
from eventguard.errors import Conflict
from eventguard.i18n import Message
from eventguard.plans.schemas import PlanSpec
from eventguard.plans.service import current_phase
from eventguard.readiness.service import latest_decision


def has_go(db: Session, event_id: int) -> bool:
    decision = latest_decision(db=db, event_id=event_id)
    return decision is not None and decision.decision == "go"


def check_go_live(
    db: Session, *, event_id: int, before: PlanSpec | None, after: PlanSpec, actor: Actor, clock: Clock
) -> None:
    """The ``plan_applied`` hook (see the module)."""
    now = clock.now()
    was_live = before is not None and current_phase(spec=before, at=now) == "live"
    if was_live or current_phase(spec=after, at=now) != "live" or has_go(db, event_id):
        return
    if after.readiness.live_without_go == "refuse":
        raise Conflict(
            Message("The event would go live without a go decision; record one at the readiness gate first."),
            code="no_go_decision",
        )
    record(
        db=db,
        actor=actor,
        action="readiness.live_without_go",
        target_type="event",
        target_id=event_id,
        after={"setting": "warn"},
        clock=clock,
    )


def live_without_go(db: Session, *, event_id: int, spec: PlanSpec, clock: Clock) -> bool:
    """The event is live now and no go decision is in force (the console's warning)."""
    return current_phase(spec=spec, at=clock.now()) == "live" and not has_go(db, event_id)
