"""Reminders: an incident nobody acknowledged (``unacknowledged_every``) or that stays open
(``open_every``) re-notifies its current level's people on the plan's schedule
(``noise.reminders``, per level), through the notification pipeline — the same recipients, contact
methods and failover as the level's first page, purpose ``incident_reminder``, topic ``incident.reminder``.

The schedule is the current level's (a re-levelled incident follows its new level) and is counted
from the latest of: the incident's opening, its last status or level change (an acknowledgement, a
reopening), the release of a held page and the last reminder. Held, monitoring and closed incidents
get none; an acknowledgement or a resolve supersedes reminder pages not sent yet."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from eventguard.incidents import timeline
from eventguard.incidents.models import Incident, IncidentStatus, TimelineEntry
from eventguard.noise import metrics
from eventguard.noise.models import IncidentReminder, PagingHold
from eventguard.notify.models import Delivery, DeliveryStatus
from eventguard.notify.outcomes import NOTIFIER
from eventguard.notify.planner import plan_deliveries
from eventguard.plans import service as plans
from eventguard.plans.schemas import PlanSpec, ReminderSpec
from eventguard.plans.types import format_duration

if TYPE_CHECKING:
    from eventguard.outbox.models import OutboxMessage
    from eventguard.worker.context import WorkerContext

S = IncidentStatus
REMINDED = (S.triggered, S.acknowledged, S.mitigating)
TOPIC = "incident.reminder"
PURPOSE = "incident_reminder"  # comms has "reminder" (publish the public update)


def _schedule(rule: ReminderSpec, status: IncidentStatus) -> tuple[str, timedelta] | None:
    if status is S.triggered and rule.unacknowledged_every is not None:
        return "unacknowledged", rule.unacknowledged_every
    if rule.open_every is not None:
        return "open", rule.open_every
    return None


def _baseline(db: Session, incident: Incident, state: IncidentReminder | None) -> datetime:
    changed = db.scalar(
        select(func.max(TimelineEntry.at)).where(
            TimelineEntry.incident_id == incident.id, TimelineEntry.kind.in_(("status", "level"))
        )
    )
    hold = db.get(PagingHold, incident.id)
    moments = [incident.opened_at, changed, hold.released_at if hold else None]
    if state is not None and state.sent:
        moments.append(state.last_at)
    return max(m for m in moments if m is not None)


def due(*, db: Session, now: datetime, lock: bool = False) -> list[tuple[Incident, PlanSpec, str, timedelta]]:
    """(incident, plan, kind, interval) of every reminder due at ``now`` (nothing written)."""
    query = (
        select(Incident)
        .where(
            Incident.status.in_(REMINDED),
            Incident.merged_into_id.is_(None),
            ~select(PagingHold.incident_id)
            .where(PagingHold.incident_id == Incident.id, PagingHold.released_at.is_(None))
            .exists(),
        )
        .order_by(Incident.id)
    )
    incidents = db.scalars(query.with_for_update(skip_locked=True) if lock else query).all()
    specs: dict[int, PlanSpec] = {}
    found: list[tuple[Incident, PlanSpec, str, timedelta]] = []
    for incident in incidents:
        if incident.event_id not in specs:
            specs[incident.event_id] = plans.get_active_plan(db=db, event_id=incident.event_id)
        spec = specs[incident.event_id]
        rule = spec.noise.reminder(incident.level)
        schedule = _schedule(rule, incident.status) if rule is not None else None
        if rule is None or spec.level(incident.level) is None or schedule is None:
            continue
        kind, every = schedule
        state = db.get(IncidentReminder, incident.id)
        if state is not None and state.sent >= rule.max:
            continue
        if now >= _baseline(db, incident, state) + every:
            found.append((incident, spec, kind, every))
    return found


def send_due(*, db: Session, context: WorkerContext) -> list[int]:
    """Send every reminder that is due now; returns the incidents reminded."""
    now = context.clock.now()
    reminded: list[int] = []
    for incident, spec, kind, every in due(db=db, now=now, lock=True):
        rule = spec.noise.reminder(incident.level)
        level = spec.level(incident.level)
        assert rule is not None and level is not None
        state = db.get(IncidentReminder, incident.id)
        number = (state.sent if state else 0) + 1
        plan_deliveries(
            db=db,
            incident=incident,
            spec=spec,
            targets=level.notify,
            topic=TOPIC,
            purpose=PURPOSE,
            context=context,
            deadline=None,
            key_prefix=f"r{incident.id}:{number}",
        )
        if state is None:
            state = IncidentReminder(incident_id=incident.id, sent=0, last_at=now, last_kind=kind)
            db.add(state)
        state.sent, state.last_at, state.last_kind = number, now, kind
        metrics.REMINDERS.labels(kind).inc()
        what = "nobody has acknowledged it" if kind == "unacknowledged" else "it is still open"
        timeline.add(
            db=db,
            incident=incident,
            kind="notification",
            actor=NOTIFIER,
            clock=context.clock,
            text=f"reminder {number} of {rule.max} to level {incident.level}: {what} "
            f"(every {format_duration(every)})",
            data={"outcome": "reminder", "kind": kind, "number": number, "level": incident.level},
        )
        reminded.append(incident.id)
    return reminded


def _stop(db: Session, message: OutboxMessage, context: WorkerContext) -> None:
    """Acknowledged or resolved: reminder pages not sent yet (later failover ranks) are superseded."""
    db.execute(
        update(Delivery)
        .where(
            Delivery.incident_id == message.aggregate_id,
            Delivery.purpose == PURPOSE,
            Delivery.status == DeliveryStatus.pending,
        )
        .values(status=DeliveryStatus.superseded, last_error=message.topic.removeprefix("incident."))
    )


HANDLERS = {"incident.acknowledged": _stop, "incident.resolved": _stop}
