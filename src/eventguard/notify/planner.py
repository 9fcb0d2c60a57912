"""Reacting to incident events: who is told, over what, by when (the 5-minute rule), with failover
across each person's contact methods, and the escalation timers of the level's policy.

Registered with the worker's dispatcher (``HANDLERS``); runs in the transaction that marks the
domain event processed, so a crash re-plans the whole event and never half of it."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from eventguard.incidents import service as incidents
from eventguard.incidents.models import Incident, IncidentStatus
from eventguard.noise import service as noise
from eventguard.notify import deliveries, messages
from eventguard.notify.channels import facts_for
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
    skip: frozenset[str] = frozenset(),
) -> list[Recipient]:
    """Queue one failover chain per recipient (rank 0 now, the next ranks staggered before the
    deadline) and return the recipients; those whose target is in ``skip`` are left out."""
    now = context.clock.now()
    recipients = resolve(spec, targets, on_call_lookup(db=db, event_id=incident.event_id, spec=spec, at=now))
    recipients = [recipient for recipient in recipients if recipient.target not in skip]
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


def _notify_level(db: Session, message: OutboxMessage, context: WorkerContext) -> None:
    """Tell the current level's people, each role with its notify-within deadline.

    The clock of an opened incident starts when it opened; that of a re-levelled (or reopened) one
    when its level changed (the message's time), so the new level's roles get their full
    ``notify_within``. A role already reached earlier for this incident counts as met at once: its
    row records when it was reached and no breach can follow (it is still told about the change)."""
    incident = incidents.get(db=db, incident_id=message.aggregate_id)
    if noise.paging_held(db=db, incident_id=incident.id):
        return  # a silence or maintenance window holds it (the incident's timeline says which)
    spec = plans.get_active_plan(db=db, event_id=incident.event_id)
    level = spec.level(incident.level)
    if level is None:
        return
    now = context.clock.now()
    start = incident.opened_at if message.topic == "incident.opened" else min(message.created_at, now)
    deadline = max(start + level.notify_within, now)  # a late worker tells them at once
    releveled = message.topic == "incident.releveled"
    reached = _reached_targets(db, incident.id) if releveled else {}
    # A re-level does not tell twice the roles that have a row of this level already (its
    # opening, handled after a quick re-level); a reopened incident tells everyone again.
    covered = frozenset(
        db.scalars(
            select(NotificationSla.target).where(
                NotificationSla.incident_id == incident.id, NotificationSla.level == incident.level
            )
        )
        if releveled
        else ()
    )
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
        skip=covered,
    )
    for recipient in recipients:
        row = NotificationSla(
            incident_id=incident.id,
            target=recipient.target,
            level=incident.level,
            started_at=start,
            deadline=deadline,
        )
        if recipient.target in reached:
            row.first_delivered_at, row.met = reached[recipient.target], True
        db.add(row)
    if message.topic in ("incident.opened", "incident.reopened", "incident.released"):
        _follow_policy(db, incident, spec, level.escalation_policy, start)


def _reached_targets(db: Session, incident_id: int) -> dict[str, datetime]:
    """target -> when it was first reached, over every SLA row of the incident so far."""
    rows = db.execute(
        select(NotificationSla.target, NotificationSla.first_delivered_at).where(
            NotificationSla.incident_id == incident_id, NotificationSla.first_delivered_at.is_not(None)
        )
    ).all()
    reached: dict[str, datetime] = {}
    for target, at in rows:
        if at is not None and (target not in reached or at < reached[target]):
            reached[target] = at
    return reached


def _follow_policy(
    db: Session, incident: Incident, spec: PlanSpec, policy_id: str | None, start: datetime
) -> None:
    """Make the pending escalation timers those of ``policy_id``, counted from ``start``: timers
    of another policy (the level before a re-level) are cancelled; nobody acknowledged yet is
    escalated by the new level's policy. Timers already of this policy are kept."""
    pending = db.scalars(
        select(EscalationStep).where(
            EscalationStep.incident_id == incident.id,
            EscalationStep.fired_at.is_(None),
            EscalationStep.cancelled_at.is_(None),
        )
    ).all()
    if pending and all(step.policy_id == policy_id for step in pending):
        return
    for step in pending:
        step.cancelled_at = start
    if policy_id and incident.status is IncidentStatus.triggered:
        _start_escalation(db, incident, spec, policy_id, start)


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
    _notify_level(db, message, context)


def _on_releveled(db: Session, message: OutboxMessage, context: WorkerContext) -> None:
    """More severe: the new level's people must hear within its notify_within. Less severe: no
    page. Either way the escalation timers become the current level's policy, from the change."""
    if int(message.payload.get("level", 3)) < int(message.payload.get("from_level", 3)):
        _notify_level(db, message, context)
    incident = incidents.get(db=db, incident_id=message.aggregate_id)
    spec = plans.get_active_plan(db=db, event_id=incident.event_id)
    level = spec.level(incident.level)
    if level is not None and incident.is_open:
        start = min(message.created_at, context.clock.now())
        _follow_policy(db, incident, spec, level.escalation_policy, start)


def _on_acknowledged(db: Session, message: OutboxMessage, context: WorkerContext) -> None:
    stop_escalation(db=db, incident_id=message.aggregate_id, now=context.clock.now())


def _on_resolved(db: Session, message: OutboxMessage, context: WorkerContext) -> None:
    stop_escalation(db=db, incident_id=message.aggregate_id, now=context.clock.now())
    incident = incidents.get(db=db, incident_id=message.aggregate_id)
    if noise.paging_held(db=db, incident_id=incident.id):
        return  # nobody was told it began, so nobody is told it ended
    spec = plans.get_active_plan(db=db, event_id=incident.event_id)
    level = spec.level(incident.level)
    if level is None:
        return
    # Only the group channels hear that it is over: nobody is paged for good news.
    # (A paging gateway among the team's channels texts or calls a person: never posted to as a group.)
    channel_targets = [
        ChannelTarget(channel=c)
        for t in level.notify
        if isinstance(t, TeamTarget)
        if (team := spec.team(t.team))
        for c in team.channels
        if not _pages_by_phone(spec, c)
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


def _pages_by_phone(spec: PlanSpec, channel_id: str) -> bool:
    channel = next((item for item in spec.channels if item.id == channel_id), None)
    return channel is not None and facts_for(channel.type).pages_by_phone


HANDLERS = {
    "incident.opened": _on_opened,
    "incident.reopened": _on_opened,
    "incident.released": _on_opened,  # a held page let go (eventguard.noise): as if it opened now
    "incident.releveled": _on_releveled,
    "incident.acknowledged": _on_acknowledged,
    "incident.resolved": _on_resolved,
}
