"""Alerts meet incidents: one open incident per alert group, reopened when a resolved problem returns,
moved to monitoring when its alerts resolve and back when they fire again."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from eventguard.audit.service import Actor
from eventguard.clock import Clock
from eventguard.events.models import Event
from eventguard.incidents import service, timeline
from eventguard.incidents.models import Incident, IncidentStatus
from eventguard.plans.schemas import PlanSpec

S = IncidentStatus
ACTIVE = (S.triggered, S.acknowledged, S.mitigating)
# A resolved incident whose alerts fire again within this window is reopened rather than duplicated.
DEFAULT_REOPEN_WINDOW = timedelta(minutes=30)
ALERT_ENTRY_INTERVAL = timedelta(minutes=1)
CHUNK = 500  # bound on bind parameters per query


@dataclass(frozen=True)
class Opening:
    """What an incident opened by this group's alerts would look like."""

    title: str
    level: int
    scenario_id: str | None
    core_functions: list[str]
    source: str
    evidence: dict[str, Any]
    impact: str | None = None


@dataclass
class GroupChange:
    """What the latest batch did to a group's alerts, counted after linking them."""

    new_fingerprints: list[str] = field(default_factory=list)
    resolved_fingerprints: list[str] = field(default_factory=list)
    refired_fingerprints: list[str] = field(default_factory=list)
    most_severe_level: int = 3
    total: int = 0
    firing: int = 0


def open_for_group(*, db: Session, event_id: int, group_key: str) -> Incident | None:
    """The open incident of the group, locked (row lock on PostgreSQL) for this transaction."""
    query = select(Incident).where(Incident.event_id == event_id, Incident.open_group_key == group_key)
    return db.scalar(query.with_for_update())


def open_for_groups(*, db: Session, event_id: int, group_keys: Sequence[str]) -> dict[str, Incident]:
    """group key -> its open incident, locked in key order (one lock order for every transaction)."""
    found: dict[str, Incident] = {}
    for start in range(0, len(group_keys), CHUNK):
        query = (
            select(Incident)
            .where(
                Incident.event_id == event_id, Incident.open_group_key.in_(group_keys[start : start + CHUNK])
            )
            .order_by(Incident.open_group_key)
            .with_for_update()
        )
        for incident in db.scalars(query):
            assert incident.open_group_key is not None
            found[incident.open_group_key] = incident
    return found


def _recently_resolved(db: Session, event_id: int, group_key: str, since: Any) -> Incident | None:
    query = (
        select(Incident)
        .where(
            Incident.event_id == event_id,
            Incident.group_key == group_key,
            Incident.status == S.resolved,
            Incident.merged_into_id.is_(None),
            Incident.resolved_at >= since,
        )
        .order_by(Incident.resolved_at.desc())
        .limit(1)
        .with_for_update()
    )
    return db.scalar(query)


def open_or_reopen(
    *,
    db: Session,
    event: Event,
    spec: PlanSpec,
    phase: str | None,
    group_key: str,
    opening: Opening,
    clock: Clock,
    actor: Actor,
) -> Incident | None:
    """An incident for a group that has none open (the caller looked, with ``open_for_groups``) and
    whose alerts fire: the group's recently resolved incident reopened, or a new one.

    Safe under concurrency: a twin transaction that opened the same group first makes our insert fail
    on the unique (event_id, open_group_key) constraint inside a savepoint, and we take its incident."""
    try:
        with db.begin_nested():
            candidate = _recently_resolved(db, event.id, group_key, clock.now() - DEFAULT_REOPEN_WINDOW)
            if candidate is not None:
                service.transition(
                    db=db,
                    incident=candidate,
                    target=S.triggered,
                    actor=actor,
                    clock=clock,
                    note="alerts fired again",
                )
                db.flush()
                return candidate
            return service.open_incident(
                db=db,
                event=event,
                spec=spec,
                title=opening.title,
                level=opening.level,
                scenario_id=opening.scenario_id,
                core_functions=opening.core_functions,
                group_key=group_key,
                source=opening.source,
                evidence=opening.evidence,
                actor=actor,
                clock=clock,
                phase=phase,
                impact=opening.impact,
            )
    except IntegrityError:
        return open_for_group(db=db, event_id=event.id, group_key=group_key)


def apply_change(
    *, db: Session, incident: Incident, spec: PlanSpec, change: GroupChange, clock: Clock, actor: Actor
) -> None:
    """Counters, timeline, automatic escalation of the level, and monitoring <-> active moves."""
    now = clock.now()
    incident.alert_count, incident.firing_count = change.total, change.firing
    incident.last_alert_at = now
    incident.updated_at = now
    if _worth_a_timeline_entry(incident, change, now):
        incident.alert_entry_at = now
        timeline.add(
            db=db,
            incident=incident,
            kind="alert",
            actor=actor,
            clock=clock,
            data={
                "new": len(change.new_fingerprints),
                "resolved": len(change.resolved_fingerprints),
                "refired": len(change.refired_fingerprints),
                "fingerprints": (change.new_fingerprints + change.refired_fingerprints)[:20],
                "firing": change.firing,
                "total": change.total,
            },
        )
    if change.firing and change.most_severe_level < incident.level and incident.is_open:
        service.apply_level(
            db=db,
            incident=incident,
            level=change.most_severe_level,
            reason="a more severe alert joined",
            actor=actor,
            clock=clock,
        )
    if change.firing == 0 and incident.status in ACTIVE:
        service.transition(
            db=db,
            incident=incident,
            target=S.monitoring,
            actor=actor,
            clock=clock,
            note="all alerts resolved",
        )
    elif change.firing and incident.status is S.monitoring:
        back = (
            S.mitigating
            if incident.mitigating_at
            else S.acknowledged
            if incident.acknowledged_at
            else S.triggered
        )
        service.transition(
            db=db, incident=incident, target=back, actor=actor, clock=clock, note="alerts fired again"
        )


def _worth_a_timeline_entry(incident: Incident, change: GroupChange, now: datetime) -> bool:
    """Every resolve or re-fire is written; new alerts of a storm at most once a minute, so that
    10,000 alerts leave a readable timeline (the entry carries the running totals)."""
    if change.resolved_fingerprints or change.refired_fingerprints:
        return True
    if not change.new_fingerprints:
        return False
    last = incident.alert_entry_at
    return last is None or now - last >= ALERT_ENTRY_INTERVAL


def sweep_auto_resolve(*, db: Session, clock: Clock, specs: dict[int, PlanSpec]) -> list[int]:
    """Resolve incidents that stayed quiet in ``monitoring`` for their level's quiet period.

    ``specs`` maps event id -> active plan. Rows locked by another worker are skipped, not waited for."""
    query = select(Incident).where(Incident.status == S.monitoring).with_for_update(skip_locked=True)
    resolved: list[int] = []
    actor = Actor(type="system", name="auto-resolve")
    for incident in db.scalars(query).all():
        spec = specs.get(incident.event_id)
        level = spec.level(incident.level) if spec else None
        if level is None or not level.auto_resolve or incident.monitoring_at is None:
            continue
        if incident.monitoring_at + level.quiet_period <= clock.now():
            service.transition(
                db=db,
                incident=incident,
                target=S.resolved,
                actor=actor,
                clock=clock,
                note=f"quiet for {level.quiet_period}",
            )
            resolved.append(incident.id)
    return resolved
