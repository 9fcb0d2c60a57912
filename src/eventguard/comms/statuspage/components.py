"""Component states and the overall indicator, in Statuspage's vocabulary.

The rule (docs/status-page.md): each core function of the plan is a component. An open incident
(not a drill) affecting it sets it by level — level 1 ``major_outage``, level 2 ``partial_outage``,
level 3 ``degraded_performance`` — capped at ``degraded_performance`` while the incident is in
``monitoring``; a maintenance in progress (or verifying) sets ``under_maintenance``; the worst wins.
Comms may override a component explicitly; the override wins until it is cleared."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Literal, get_args

from sqlalchemy import select
from sqlalchemy.orm import Session

from eventguard.audit import service as audit
from eventguard.audit.service import Actor
from eventguard.clock import Clock
from eventguard.comms.models import ComponentOverride
from eventguard.comms.statuspage import state
from eventguard.errors import InvalidInput
from eventguard.i18n import Message
from eventguard.incidents.models import Incident, IncidentStatus
from eventguard.plans.schemas import PlanSpec

ComponentStatus = Literal[
    "operational", "under_maintenance", "degraded_performance", "partial_outage", "major_outage"
]
Indicator = Literal["none", "minor", "major", "critical"]
Impact = Indicator  # an incident's impact uses the indicator's words

# Worst last: the order in which one state beats another.
SEVERITY: tuple[ComponentStatus, ...] = get_args(ComponentStatus)
LEVEL_STATUS: dict[int, ComponentStatus] = {
    1: "major_outage",
    2: "partial_outage",
    3: "degraded_performance",
}
LEVEL_IMPACT: dict[int, Impact] = {1: "critical", 2: "major", 3: "minor"}
INDICATORS: tuple[Indicator, ...] = get_args(Indicator)
_INDICATOR_OF: dict[ComponentStatus, Indicator] = {
    "operational": "none",
    "under_maintenance": "none",
    "degraded_performance": "minor",
    "partial_outage": "major",
    "major_outage": "critical",
}
# Statuspage's own descriptions (translated for the page; the JSON keeps the reader's language).
INDICATOR_TEXT: dict[Indicator, str] = {
    "none": "All Systems Operational",
    "minor": "Minor Service Outage",
    "major": "Partial System Outage",
    "critical": "Major Service Outage",
}
MAINTENANCE_TEXT = "Service Under Maintenance"


def worst(statuses: Iterable[ComponentStatus]) -> ComponentStatus:
    """The most severe of ``statuses`` (operational when there are none)."""
    return max(statuses, key=SEVERITY.index, default="operational")


def incident_status(incident: Incident) -> ComponentStatus:
    """What an open incident does to the components it affects."""
    derived = LEVEL_STATUS.get(incident.level, "degraded_performance")
    if incident.status is IncidentStatus.monitoring:
        return min(derived, "degraded_performance", key=SEVERITY.index)
    return derived


def derive(
    *,
    spec: PlanSpec,
    incidents: Sequence[Incident],
    under_maintenance: Iterable[str],
    overrides: Mapping[str, str],
) -> dict[str, ComponentStatus]:
    """core function id -> public status, by the rule in this module's docstring."""
    found: dict[str, list[ComponentStatus]] = {f.id: [] for f in spec.core_functions}
    for incident in incidents:
        if incident.is_open and not incident.is_drill:
            for function_id in incident.core_functions:
                found.setdefault(function_id, []).append(incident_status(incident))
    for function_id in under_maintenance:
        found.setdefault(function_id, []).append("under_maintenance")
    result: dict[str, ComponentStatus] = {}
    for function in spec.core_functions:
        override = overrides.get(function.id)
        result[function.id] = _as_status(override) if override else worst(found[function.id])
    return result


def _as_status(value: str) -> ComponentStatus:
    return next(status for status in SEVERITY if status == value)


def indicator(components: Iterable[ComponentStatus], impacts: Iterable[str] = ()) -> Indicator:
    """The page's overall indicator: the worst component, raised by any unresolved public incident."""
    levels = [_INDICATOR_OF[status] for status in components]
    levels += [impact for impact in INDICATORS if impact in set(impacts)]
    return max(levels, key=INDICATORS.index, default="none")


def indicator_text(value: Indicator, components: Iterable[ComponentStatus]) -> str:
    """Statuspage's English description of the indicator (the msgid of its translation)."""
    if value == "none" and "under_maintenance" in set(components):
        return MAINTENANCE_TEXT
    return INDICATOR_TEXT[value]


def overrides_of(*, db: Session, event_id: int) -> dict[str, ComponentOverride]:
    """component id -> the override comms set for it."""
    rows = db.scalars(select(ComponentOverride).where(ComponentOverride.event_id == event_id))
    return {row.component_id: row for row in rows}


def set_override(
    *, db: Session, event_id: int, spec: PlanSpec, component_id: str, status: str, actor: Actor, clock: Clock
) -> ComponentOverride:
    """Show ``status`` for the component whatever incidents and maintenances say (audited)."""
    if component_id not in {f.id for f in spec.core_functions}:
        raise InvalidInput(
            Message("The plan has no core function {functions}.", {"functions": component_id}),
            code="unknown_core_function",
        )
    if status not in SEVERITY:
        raise InvalidInput(
            Message("Unknown component status {status}.", {"status": status}),
            code="invalid_component_status",
            details={"allowed": list(SEVERITY)},
        )
    row = overrides_of(db=db, event_id=event_id).get(component_id)
    if row is None:
        row = ComponentOverride(event_id=event_id, component_id=component_id, status=status)
        db.add(row)
    row.status, row.set_at, row.set_by = status, clock.now(), actor.name
    _audit(db, actor, clock, event_id, component_id, status)
    state.touch(db=db, event_id=event_id, clock=clock)
    return row


def clear_override(*, db: Session, event_id: int, component_id: str, actor: Actor, clock: Clock) -> bool:
    """Go back to the derived status; False when there was no override."""
    row = overrides_of(db=db, event_id=event_id).get(component_id)
    if row is None:
        return False
    db.delete(row)
    _audit(db, actor, clock, event_id, component_id, None)
    state.touch(db=db, event_id=event_id, clock=clock)
    return True


def _audit(
    db: Session, actor: Actor, clock: Clock, event_id: int, component_id: str, status: str | None
) -> None:
    audit.record(
        db=db,
        actor=actor,
        action="comms.component_override",
        target_type="event",
        target_id=event_id,
        after={"component": component_id, "status": status},
        clock=clock,
    )
