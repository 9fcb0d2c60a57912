"""Reacting to incident events: who is told, over what, by when (the 5-minute rule), with failover
across each person's contact methods, and the escalation timers of the level's policy.

Registered with the worker's dispatcher (``HANDLERS``); runs in the transaction that marks the
domain event processed, so a crash re-plans the whole event and never half of it."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlalchemy.orm import Session

from eventguard.incidents import service as incidents
from eventguard.incidents.models import Incident
from eventguard.notify import deliveries, messages
from eventguard.notify.channels.base import Notification
from eventguard.notify.models import Delivery, DeliveryStatus, EscalationStep, NotificationSla
from eventguard.notify.recipients import OnCallLookup, Recipient, resolve
from eventguard.oncall import service as oncall
from eventguard.outbox.models import OutboxMessage
from eventguard.plans import service as plans
from eventguard.plans.schemas import ChannelTarget, PersonTarget, PlanSpec, TeamTarget
from eventguard.worker.context import WorkerContext

# The gap before the next contact method of the same person is tried when the previous one has
# not been delivered; never so long that the last method would miss the deadline.
FAILOVER_STEP = timedelta(seconds=60)
Target = TeamTarget | PersonTarget | ChannelTarget


def on_call_lookup(*, db: Session, event_id: int, spec: PlanSpec, at: datetime) -> OnCallLookup:
    """team id -> the people on call for it now (its lead when it has no schedule)."""

    def lookup(team_id: str) -> list[str]:
        return list(oncall.on_call_for_team(db=db, event_id=event_id, spec=spec, team_id=team_id, at=at))

    return lookup


def plan_deliveries(
    *,
    db: Session,
    incident: Incident,
    spec: PlanSpec,
    targets: Sequence[Target],
    topic: str,
    purpose: str,
    context: WorkerContext,
    deadline: datetime | None,
    key_prefix: str,
) -> list[Recipient]:
    """Queue one failover chain per recipient (rank 0 now, the next ranks staggered before the
    deadline) and return the recipients."""
    now = context.clock.now()
    recipients = resolve(spec, targets, on_call_lookup(db=db, event_id=incident.event_id, spec=spec, at=now))
    facts = messages.Facts(incident=incident, spec=spec, topic=topic, settings=context.settings, now=now)
    message_purpose = "escalation" if purpose == "escalation" else "notification"
    for recipient in recipients:
        person = recipient.person
        language = person.language if person else context.settings.default_language
        group = f"{key_prefix}:{recipient.target}"[:64]
        step = _failover_step(now, deadline, len(recipient.methods))
        for rank, method in enumerate(recipient.methods):
            key = deliveries.new_key()
            note = messages.build(
                facts,
                language=language,
                person_id=person.id if person else None,
                key=key,
                purpose=message_purpose,
            )
            if method.options.get("mentions"):
                note = _with_mentions(note, method.options["mentions"])
            deliveries.enqueue(
                db=db,
                channel_kind=method.kind,
                address=method.address,
                notification=note,
                purpose=purpose,
                clock=context.clock,
                event_id=incident.event_id,
                incident_id=incident.id,
                channel_id=method.channel_id,
                recipient=person.id if person else None,
                role=recipient.target,
                secret_env=method.secret_env,
                options=dict(method.options),
                deadline=deadline,
                available_at=now + step * rank,
                failover_group=group,
                failover_rank=rank,
            )
    return recipients


def _with_mentions(note: Notification, mentions: list[str]) -> Notification:
    return dataclasses.replace(note, mentions=list(mentions))


def _failover_step(now: datetime, deadline: datetime | None, methods: int) -> timedelta:
    if deadline is None or methods <= 1:
        return FAILOVER_STEP
    return min(FAILOVER_STEP, (deadline - now) / methods)


def _notify_level(db: Session, message: OutboxMessage, context: WorkerContext, *, with_sla: bool) -> None:
    incident = incidents.get(db=db, incident_id=message.aggregate_id)
    spec = plans.get_active_plan(db=db, event_id=incident.event_id)
    level = spec.level(incident.level)
    if level is None:
        return
    now = context.clock.now()
    deadline = incident.opened_at + level.notify_within if with_sla else None
    if deadline is not None and deadline < now:
        deadline = now  # re-leveled late: the new level's people are told at once
    recipients = plan_deliveries(
        db=db,
        incident=incident,
        spec=spec,
        targets=level.notify,
        topic=message.topic,
        purpose="notify",
        context=context,
        deadline=deadline,
        key_prefix=f"o{message.id}",
    )
    if deadline is not None:
        for recipient in recipients:
            db.add(
                NotificationSla(
                    incident_id=incident.id, target=recipient.target, started_at=now, deadline=deadline
                )
            )
    if message.topic in ("incident.opened", "incident.reopened") and level.escalation_policy:
        _start_escalation(db, incident, spec, level.escalation_policy, now)


def _start_escalation(db: Session, incident: Incident, spec: PlanSpec, policy_id: str, now: datetime) -> None:
    policy = next((p for p in spec.escalation_policies if p.id == policy_id), None)
    if policy is None:
        return
    elapsed = timedelta(0)
    for round_number in range(policy.repeat + 1):
        for index, step in enumerate(policy.steps):
            elapsed += step.after
            db.add(
                EscalationStep(
                    incident_id=incident.id,
                    policy_id=policy.id,
                    round=round_number,
                    step=index,
                    due_at=now + elapsed,
                )
            )
    if policy.final == "event_owner":
        db.add(
            EscalationStep(
                incident_id=incident.id,
                policy_id=policy.id,
                round=policy.repeat,
                step=len(policy.steps),
                due_at=now + elapsed + timedelta(minutes=1),
            )
        )


def stop_escalation(*, db: Session, incident_id: int, now: datetime) -> None:
    """Acknowledged or resolved: pending escalation timers and their unsent pages are cancelled."""
    db.execute(
        update(EscalationStep)
        .where(
            EscalationStep.incident_id == incident_id,
            EscalationStep.fired_at.is_(None),
            EscalationStep.cancelled_at.is_(None),
        )
        .values(cancelled_at=now)
    )
    db.execute(
        update(Delivery)
        .where(
            Delivery.incident_id == incident_id,
            Delivery.purpose == "escalation",
            Delivery.status == DeliveryStatus.pending,
        )
        .values(status=DeliveryStatus.superseded, last_error="acknowledged")
    )


def _on_opened(db: Session, message: OutboxMessage, context: WorkerContext) -> None:
    _notify_level(db, message, context, with_sla=True)


def _on_releveled(db: Session, message: OutboxMessage, context: WorkerContext) -> None:
    # More severe: the new level's people must hear within its notify_within. Less severe: no page.
    if int(message.payload.get("level", 3)) < int(message.payload.get("from_level", 3)):
        _notify_level(db, message, context, with_sla=True)


def _on_acknowledged(db: Session, message: OutboxMessage, context: WorkerContext) -> None:
    stop_escalation(db=db, incident_id=message.aggregate_id, now=context.clock.now())


def _on_resolved(db: Session, message: OutboxMessage, context: WorkerContext) -> None:
    stop_escalation(db=db, incident_id=message.aggregate_id, now=context.clock.now())
    incident = incidents.get(db=db, incident_id=message.aggregate_id)
    spec = plans.get_active_plan(db=db, event_id=incident.event_id)
    level = spec.level(incident.level)
    if level is None:
        return
    # Only the group channels hear that it is over: nobody is paged for good news.
    channel_targets = [
        ChannelTarget(channel=c)
        for t in level.notify
        if isinstance(t, TeamTarget)
        if (team := spec.team(t.team))
        for c in team.channels
    ]
    channel_targets += [t for t in level.notify if isinstance(t, ChannelTarget)]
    plan_deliveries(
        db=db,
        incident=incident,
        spec=spec,
        targets=channel_targets,
        topic=message.topic,
        purpose="notify",
        context=context,
        deadline=None,
        key_prefix=f"o{message.id}",
    )


HANDLERS = {
    "incident.opened": _on_opened,
    "incident.reopened": _on_opened,
    "incident.releveled": _on_releveled,
    "incident.acknowledged": _on_acknowledged,
    "incident.resolved": _on_resolved,
}
