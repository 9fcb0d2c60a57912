"""Time-driven notification work: SLA breaches (nobody of a notified role reached by the deadline)
and escalation steps (nobody acknowledged in time)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from eventguard.incidents import service as incidents
from eventguard.incidents import timeline
from eventguard.incidents.models import IncidentStatus
from eventguard.notify import metrics
from eventguard.notify.models import EscalationStep, NotificationSla
from eventguard.notify.outcomes import NOTIFIER
from eventguard.notify.planner import plan_deliveries
from eventguard.plans import service as plans
from eventguard.plans.schemas import PersonTarget
from eventguard.worker.context import WorkerContext

UNACKNOWLEDGED = (IncidentStatus.triggered,)


def flag_breaches(*, db: Session, context: WorkerContext) -> list[int]:
    """Mark SLA rows whose deadline passed with nobody reached; flag them on the incident."""
    now = context.clock.now()
    rows = db.scalars(
        select(NotificationSla)
        .where(
            NotificationSla.first_delivered_at.is_(None),
            NotificationSla.breached_at.is_(None),
            NotificationSla.deadline < now,
        )
        .with_for_update(skip_locked=True)
    ).all()
    for row in rows:
        row.breached_at, row.met = now, False
        metrics.SLA_BREACHES.inc()
        incident = incidents.get(db=db, incident_id=row.incident_id)
        timeline.add(
            db=db,
            incident=incident,
            kind="notification",
            actor=NOTIFIER,
            clock=context.clock,
            data={"outcome": "sla_breached", "role": row.target, "deadline": row.deadline.isoformat()},
        )
    return [row.id for row in rows]


def fire_escalations(*, db: Session, context: WorkerContext) -> list[int]:
    """Fire due escalation steps of incidents still unacknowledged; cancel the rest."""
    now = context.clock.now()
    steps = db.scalars(
        select(EscalationStep)
        .where(
            EscalationStep.fired_at.is_(None),
            EscalationStep.cancelled_at.is_(None),
            EscalationStep.due_at <= now,
        )
        .order_by(EscalationStep.due_at)
        .with_for_update(skip_locked=True)
    ).all()
    fired = []
    for step in steps:
        incident = incidents.get(db=db, incident_id=step.incident_id)
        if incident.status not in UNACKNOWLEDGED:
            step.cancelled_at = now
            continue
        spec = plans.get_active_plan(db=db, event_id=incident.event_id)
        policy = next((p for p in spec.escalation_policies if p.id == step.policy_id), None)
        if policy is None:
            step.cancelled_at = now
            continue
        final = step.step >= len(policy.steps)
        targets = [PersonTarget(person=spec.event.owner)] if final else list(policy.steps[step.step].notify)
        plan_deliveries(
            db=db,
            incident=incident,
            spec=spec,
            targets=targets,
            topic="incident.escalated",
            purpose="escalation",
            context=context,
            deadline=None,
            key_prefix=f"e{step.id}",
        )
        step.fired_at = now
        metrics.ESCALATIONS.inc()
        timeline.add(
            db=db,
            incident=incident,
            kind="notification",
            actor=NOTIFIER,
            clock=context.clock,
            data={
                "outcome": "escalated",
                "policy": policy.id,
                "round": step.round,
                "step": step.step,
                "final": final,
            },
        )
        fired.append(step.id)
    return fired
