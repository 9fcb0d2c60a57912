"""Incident commands: open, declare, acknowledge, change status, resolve, re-level, roles, notes,
progress, merge. Keyword-only, take the session, flush only: the caller commits."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from eventguard import domains
from eventguard.audit import service as audit
from eventguard.audit.service import Actor
from eventguard.clock import Clock
from eventguard.errors import Conflict, InvalidInput, NotFound
from eventguard.events import service as events
from eventguard.events.models import Event, EventPause
from eventguard.i18n import Message
from eventguard.incidents import lifecycle, runbook, timeline
from eventguard.incidents.models import Incident, IncidentRole, IncidentStatus, RoleAssignment
from eventguard.outbox import service as outbox
from eventguard.plans import service as plans
from eventguard.plans.schemas import PlanSpec

S = IncidentStatus

# Which team kind fills which incident role when an incident opens (humans can re-assign).
DEFAULT_ROLE_TEAMS: dict[IncidentRole, str] = {
    IncidentRole.tech_lead: "tech",
    IncidentRole.ops_lead: "ops",
    IncidentRole.comms: "pr",
    IncidentRole.legal: "legal",
}


def get(*, db: Session, incident_id: int, for_update: bool = False) -> Incident:
    """The incident, optionally locked for the rest of the transaction; 404 otherwise."""
    incident = db.get(Incident, incident_id, with_for_update=for_update or None)
    if incident is None:
        raise NotFound(Message("No incident {id}.", {"id": incident_id}), code="incident_not_found")
    return incident


def snapshot(incident: Incident) -> dict[str, Any]:
    """The fields of an incident that audit entries and domain events carry."""
    return {
        "id": incident.id,
        "event_id": incident.event_id,
        "title": incident.title,
        "status": incident.status.value,
        "level": incident.level,
        "scenario_id": incident.scenario_id,
        "core_functions": list(incident.core_functions),
        "is_drill": incident.is_drill,
        "opened_at": incident.opened_at.isoformat(),
    }


def emit(
    *, db: Session, incident: Incident, topic: str, clock: Clock, extra: dict[str, Any] | None = None
) -> None:
    """Write the domain event ``topic`` to the outbox in this transaction."""
    outbox.enqueue(
        db=db,
        topic=topic,
        aggregate_type="incident",
        aggregate_id=incident.id,
        event_id=incident.event_id,
        payload={**snapshot(incident), **(extra or {})},
        is_drill=incident.is_drill,
        clock=clock,
    )


def open_incident(
    *,
    db: Session,
    event: Event,
    spec: PlanSpec,
    title: str,
    level: int,
    scenario_id: str | None,
    core_functions: list[str],
    group_key: str,
    source: str,
    evidence: dict[str, Any],
    actor: Actor,
    clock: Clock,
    phase: str | None,
    impact: str | None = None,
    is_drill: bool = False,
) -> Incident:
    """Create an open incident with its runbook tasks, default roles, timeline and ``incident.opened``.

    Flushes the insert first, so a concurrent twin for the same group fails on the unique
    (event_id, open_group_key) constraint; callers wrap this in a savepoint (see ``grouping``)."""
    now = clock.now()
    scenario = spec.scenario(scenario_id) if scenario_id else None
    incident = Incident(
        event_id=event.id,
        title=title[:300],
        title_source=_title_source(source, scenario is not None),
        status=S.triggered,
        level=level,
        scenario_id=scenario_id,
        kind=scenario.kind if scenario else None,
        core_functions=core_functions,
        impact=impact,
        group_key=group_key,
        open_group_key=group_key,
        source=source,
        is_drill=is_drill or source == "drill",  # a drill's injected alerts come in as source "drill"
        phase=phase,
        opened_at=now,
        updated_at=now,
        declared_by=actor.name if source == "manual" else None,
        evidence={**evidence, "frozen_at": now.isoformat()},
        alert_count=0,
        firing_count=0,
    )
    db.add(incident)
    db.flush()
    runbook.create_tasks(db=db, incident=incident, spec=spec)
    _assign_default_roles(db=db, incident=incident, spec=spec, clock=clock)
    timeline.add(
        db=db,
        incident=incident,
        kind="status",
        actor=actor,
        clock=clock,
        data={"status": S.triggered.value, "opened": True, "level": level, "scenario_id": scenario_id},
    )
    emit(
        db=db,
        incident=incident,
        topic="incident.opened",
        clock=clock,
        extra={"impact": impact, "phase": phase},
    )
    public_changed(db=db, incident=incident, clock=clock)
    _pause_if_the_level_says(db=db, incident=incident, spec=spec, actor=actor, clock=clock)
    return incident


def _title_source(source: str, has_scenario: bool) -> str | None:
    if source in ("manual", "drill"):
        return "manual"
    return "scenario" if has_scenario else None


def public_changed(*, db: Session, incident: Incident, clock: Clock) -> None:
    """Tell the status page (the ``public_changed`` hook) that what it derives from this incident
    may have changed; a drill's never reaches the public."""
    if incident.is_drill:
        return
    for function in domains.hook_functions("public_changed"):
        function(db=db, event_id=incident.event_id, clock=clock)


def _assign_default_roles(*, db: Session, incident: Incident, spec: PlanSpec, clock: Clock) -> None:
    now = clock.now()
    db.add(
        RoleAssignment(
            incident_id=incident.id,
            role=IncidentRole.commander,
            person_id=spec.event.owner,
            assigned_at=now,
            assigned_by="plan",
        )
    )
    for role, team_kind in DEFAULT_ROLE_TEAMS.items():
        team = next((team for team in spec.teams if team.kind == team_kind and team.lead), None)
        if team is not None:
            db.add(
                RoleAssignment(
                    incident_id=incident.id,
                    role=role,
                    person_id=team.lead,
                    team_id=team.id,
                    assigned_at=now,
                    assigned_by="plan",
                )
            )


def transition(
    *, db: Session, incident: Incident, target: S, actor: Actor, clock: Clock, note: str | None = None
) -> Incident:
    """Move the incident to ``target`` (409 if the lifecycle forbids it), stamped and timelined."""
    lifecycle.check_transition(incident.status, target)
    before = incident.status
    now = clock.now()
    incident.status = target
    incident.updated_at = now
    if target in lifecycle.STAMPS and (target is not S.acknowledged or incident.acknowledged_at is None):
        setattr(incident, lifecycle.STAMPS[target], now)
    if target in (S.resolved, S.reviewed):
        incident.open_group_key = None
    elif before is S.resolved:
        incident.open_group_key = incident.group_key
        incident.resolved_at = None
    timeline.add(
        db=db,
        incident=incident,
        kind="status",
        actor=actor,
        clock=clock,
        text=note,
        data={"from": before.value, "status": target.value},
    )
    public_changed(db=db, incident=incident, clock=clock)
    topic = {S.acknowledged: "incident.acknowledged", S.resolved: "incident.resolved"}.get(target)
    if before is S.resolved and target is S.triggered:
        topic = "incident.reopened"
    if topic:
        emit(db=db, incident=incident, topic=topic, clock=clock, extra={"by": actor.name})
    if actor.type in ("user", "token", "cli", "link"):
        audit.record(
            db=db,
            actor=actor,
            action=f"incident.{target.value}",
            target_type="incident",
            target_id=incident.id,
            before={"status": before.value},
            after={"status": target.value},
            clock=clock,
        )
    return incident


def acknowledge(*, db: Session, incident: Incident, actor: Actor, clock: Clock) -> Incident:
    """Acknowledge (stops escalation). Acknowledging twice is a no-op, not an error."""
    if incident.status is S.acknowledged:
        return incident
    return transition(db=db, incident=incident, target=S.acknowledged, actor=actor, clock=clock)


def resolve(
    *, db: Session, incident: Incident, actor: Actor, clock: Clock, note: str | None = None
) -> Incident:
    return transition(db=db, incident=incident, target=S.resolved, actor=actor, clock=clock, note=note)


def relevel(
    *, db: Session, incident: Incident, level: int, reason: str, actor: Actor, clock: Clock
) -> Incident:
    """A human changes the level; the reason goes on the timeline and ``incident.releveled`` is emitted."""
    if level not in (1, 2, 3):
        raise InvalidInput(Message("The level must be 1, 2 or 3."), code="invalid_level")
    if not reason.strip():
        raise InvalidInput(Message("Changing the level needs a reason."), code="reason_required")
    if not incident.is_open:
        raise Conflict(Message("A closed incident cannot be re-leveled."), code="incident_closed")
    return apply_level(db=db, incident=incident, level=level, reason=reason, actor=actor, clock=clock)


def apply_level(
    *, db: Session, incident: Incident, level: int, reason: str, actor: Actor, clock: Clock
) -> Incident:
    """Set the level (by a human or by a more severe alert joining the group)."""
    before = incident.level
    if before == level:
        return incident
    incident.level = level
    incident.updated_at = clock.now()
    timeline.add(
        db=db,
        incident=incident,
        kind="level",
        actor=actor,
        clock=clock,
        text=reason,
        data={"from": before, "to": level},
    )
    emit(
        db=db,
        incident=incident,
        topic="incident.releveled",
        clock=clock,
        extra={"from_level": before, "reason": reason},
    )
    public_changed(db=db, incident=incident, clock=clock)
    if level < before:
        spec = plans.get_active_plan(db=db, event_id=incident.event_id)
        _pause_if_the_level_says(db=db, incident=incident, spec=spec, actor=actor, clock=clock)
    if actor.type != "system":
        audit.record(
            db=db,
            actor=actor,
            action="incident.relevel",
            target_type="incident",
            target_id=incident.id,
            before={"level": before},
            after={"level": level, "reason": reason},
            clock=clock,
        )
    return incident


def add_note(*, db: Session, incident: Incident, text: str, actor: Actor, clock: Clock) -> None:
    if not text.strip():
        raise InvalidInput(Message("A note cannot be empty."), code="empty_note")
    timeline.add(db=db, incident=incident, kind="note", actor=actor, clock=clock, text=text)
    incident.updated_at = clock.now()
    _audit_human(db, actor, "incident.note", incident, {"text": text}, clock)


def add_progress(
    *,
    db: Session,
    incident: Incident,
    text: str,
    eta: datetime | None,
    team: str | None,
    actor: Actor,
    clock: Clock,
) -> None:
    """A progress report (seed: tech reports progress and an ETA); the newest ETA is kept on the incident."""
    if not text.strip():
        raise InvalidInput(Message("A progress update cannot be empty."), code="empty_update")
    if eta is not None and eta.tzinfo is None:
        raise InvalidInput(Message("The ETA needs a time zone offset."), code="naive_eta")
    timeline.add(
        db=db,
        incident=incident,
        kind="progress",
        actor=actor,
        clock=clock,
        text=text,
        data={"eta": eta.isoformat() if eta else None, "team": team},
    )
    incident.eta = eta
    incident.updated_at = clock.now()
    if pause_state(db=db, event_id=incident.event_id) is not None:
        public_changed(db=db, incident=incident, clock=clock)  # the pause notice shows the ETA
    after = {"text": text, "eta": eta.isoformat() if eta else None, "team": team}
    _audit_human(db, actor, "incident.progress", incident, after, clock)


def _audit_human(
    db: Session, actor: Actor, action: str, incident: Incident, after: dict[str, Any], clock: Clock
) -> None:
    """Audit what people do (the system's own moves are on the timeline only)."""
    if actor.type != "system":
        audit.record(
            db=db,
            actor=actor,
            action=action,
            target_type="incident",
            target_id=incident.id,
            after=after,
            clock=clock,
        )


def declare(
    *,
    db: Session,
    event: Event,
    spec: PlanSpec,
    title: str,
    level: int | None,
    scenario_id: str | None,
    core_functions: list[str] | None,
    impact: str | None,
    phase: str | None,
    actor: Actor,
    clock: Clock,
    is_drill: bool = False,
) -> Incident:
    """A responder opens an incident by hand (no alert): a participant dispute, a PR crisis …"""
    scenario = spec.scenario(scenario_id) if scenario_id else None
    if scenario_id and scenario is None:
        raise InvalidInput(
            Message("The plan has no scenario {scenario}.", {"scenario": scenario_id}),
            code="unknown_scenario",
        )
    known = {function.id for function in spec.core_functions}
    functions = (
        core_functions if core_functions is not None else list(scenario.core_functions if scenario else [])
    )
    unknown = sorted(set(functions) - known)
    if unknown:
        raise InvalidInput(
            Message("The plan has no core function {functions}.", {"functions": ", ".join(unknown)}),
            code="unknown_core_function",
        )
    chosen_level = level or (scenario.default_level if scenario else spec.event.default_level)
    now = clock.now()
    incident = open_incident(
        db=db,
        event=event,
        spec=spec,
        title=title,
        level=chosen_level,
        scenario_id=scenario_id,
        core_functions=functions,
        group_key=f"manual:{uuid.uuid4().hex}",
        source="drill" if is_drill else "manual",
        evidence={"declared": {"by": actor.name, "at": now.isoformat(), "title": title, "impact": impact}},
        actor=actor,
        clock=clock,
        phase=phase,
        impact=impact,
        is_drill=is_drill,
    )
    audit.record(
        db=db,
        actor=actor,
        action="incident.declare",
        target_type="incident",
        target_id=incident.id,
        after=snapshot(incident),
        clock=clock,
    )
    return incident


# --- The event's pause (seed level 1: 立即停止活动) -------------------------------------------


def pause_state(*, db: Session, event_id: int) -> EventPause | None:
    """The event's open pause (the event is paused until a commander resumes it), or None."""
    return events.current_pause(db=db, event_id=event_id)


def _pause_if_the_level_says(
    *, db: Session, incident: Incident, spec: PlanSpec, actor: Actor, clock: Clock
) -> None:
    """An incident (not a drill) at a level with ``pause_activity`` pauses its event."""
    level = spec.level(incident.level)
    if level is None or not level.pause_activity or incident.is_drill or not incident.is_open:
        return
    reason = f"{level.name.get('en')}: pause_activity"
    _pause(db=db, incident=incident, actor=actor, clock=clock, reason=reason, automatic=True)


def pause(
    *, db: Session, incident: Incident, actor: Actor, clock: Clock, reason: str | None = None
) -> EventPause:
    """A commander pauses the incident's event. Pausing a paused event changes nothing and
    answers the open pause. Drills cannot pause the real event (409 ``drill``)."""
    if incident.is_drill:
        raise Conflict(Message("A drill cannot pause the event."), code="drill")
    return _pause(db=db, incident=incident, actor=actor, clock=clock, reason=reason, automatic=False)


def _pause(
    *, db: Session, incident: Incident, actor: Actor, clock: Clock, reason: str | None, automatic: bool
) -> EventPause:
    event = events.get(db=db, event_id=incident.event_id)
    row, created = events.pause(
        db=db,
        event=event,
        by=actor.name,
        at=clock.now(),
        incident_id=incident.id,
        level=incident.level,
        reason=reason,
        automatic=automatic,
    )
    if not created:
        return row
    data = {"paused": True, "pause_id": row.id, "reason": reason, "automatic": automatic}
    timeline.add(db=db, incident=incident, kind="pause", actor=actor, clock=clock, text=reason, data=data)
    incident.updated_at = clock.now()
    emit(db=db, incident=incident, topic="incident.paused", clock=clock, extra={"pause_id": row.id})
    for function in domains.hook_functions("public_changed"):
        function(db=db, event_id=incident.event_id, clock=clock)
    _audit_human(db, actor, "event.pause", incident, {"pause_id": row.id, "reason": reason}, clock)
    return row


def resume(
    *, db: Session, incident: Incident, actor: Actor, clock: Clock, note: str | None = None
) -> EventPause:
    """A commander resumes the incident's event (409 ``not_paused`` when it is not paused); the
    moment goes on this incident's timeline and on that of the incident that paused it."""
    event = events.get(db=db, event_id=incident.event_id)
    row = events.resume(db=db, event=event, by=actor.name, at=clock.now(), note=note)
    data = {"paused": False, "pause_id": row.id, "note": note}
    told = {incident.id}
    timeline.add(db=db, incident=incident, kind="pause", actor=actor, clock=clock, text=note, data=data)
    if row.incident_id is not None and row.incident_id not in told:
        origin = db.get(Incident, row.incident_id)
        if origin is not None:
            timeline.add(db=db, incident=origin, kind="pause", actor=actor, clock=clock, text=note, data=data)
    incident.updated_at = clock.now()
    emit(db=db, incident=incident, topic="incident.resumed", clock=clock, extra={"pause_id": row.id})
    for function in domains.hook_functions("public_changed"):
        function(db=db, event_id=incident.event_id, clock=clock)
    _audit_human(db, actor, "event.resume", incident, {"pause_id": row.id, "note": note}, clock)
    return row


# --- Titles and the scenario's legal guidance ----------------------------------------------------


def display_title(*, incident: Incident, spec: PlanSpec, lang: str) -> str:
    """The title to show in ``lang``: the plan's scenario name for an alert's incident of a known
    scenario (not the first alert's text), unless a commander renamed it; else the stored title."""
    if incident.title_source == "scenario" and incident.scenario_id:
        scenario = spec.scenario(incident.scenario_id)
        if scenario is not None:
            return scenario.name.get(lang)
    return incident.title


def rename(*, db: Session, incident: Incident, title: str, actor: Actor, clock: Clock) -> Incident:
    """A commander gives the incident a title of their own (it wins over the scenario name)."""
    title = title.strip()
    if not title:
        raise InvalidInput(Message("A title cannot be empty."), code="empty_title")
    before = incident.title
    incident.title, incident.title_source = title[:300], "commander"
    incident.updated_at = clock.now()
    data = {"from": before, "to": incident.title}
    timeline.add(db=db, incident=incident, kind="title", actor=actor, clock=clock, data=data)
    _audit_human(db, actor, "incident.rename", incident, {"title": incident.title}, clock)
    return incident


def legal_guidance(*, incident: Incident, spec: PlanSpec) -> dict[str, str] | None:
    """The scenario's ``legal:`` text ({"zh-CN": ..., "en": ...}) for the legal role, if any."""
    scenario = spec.scenario(incident.scenario_id) if incident.scenario_id else None
    if scenario is None or scenario.legal is None:
        return None
    return {"zh-CN": scenario.legal.zh_cn, "en": scenario.legal.en}
