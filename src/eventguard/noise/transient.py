"""Transient alerts (opt-in per level in ``noise.transient``, never level 1): an incident of such a
level opens held for ``within``; if all its alerts resolve meanwhile nobody is ever paged (the
incident stays, explained); if it still fires when the time is up, or a level that pages at once
joins it (a re-level to 1, or a level without the setting), the hold is released and it pages."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from eventguard.clock import Clock
from eventguard.incidents.models import Incident
from eventguard.noise.models import PagingHold
from eventguard.noise.service import Rule, release
from eventguard.plans.schemas import PlanSpec
from eventguard.plans.types import format_duration

KEY = "transient"


def rule_for(spec: PlanSpec, level: int) -> Rule | None:
    setting = spec.noise.transient_for(level)
    if setting is None:
        return None
    text = (
        f"transient rule of level {level}: pages only if its alerts still fire after "
        f"{format_duration(setting.within)}"
    )
    return Rule("transient", KEY, text, ())


def waiting(*, db: Session, incident_id: int) -> bool:
    """Held by the transient rule now."""
    found = db.get(PagingHold, incident_id)
    return found is not None and found.released_at is None and found.rule == KEY


def sweep(*, db: Session, clock: Clock, spec_of: dict[int, PlanSpec]) -> list[int]:
    """Release transient holds whose wait is over while the incident still fires (or whose level
    no longer waits); those whose alerts resolved stay held: they never page."""
    now = clock.now()
    released: list[int] = []
    holds = db.scalars(select(PagingHold).where(PagingHold.rule == KEY, PagingHold.released_at.is_(None)))
    for found in holds.all():
        incident = db.get(Incident, found.incident_id)
        spec = spec_of.get(incident.event_id) if incident is not None else None
        if incident is None or spec is None or not incident.is_open or incident.firing_count == 0:
            continue
        setting = spec.noise.transient_for(incident.level)
        if setting is None:
            reason = f"level {incident.level} pages at once"
        elif now >= found.held_at + setting.within:
            reason = f"still firing after {format_duration(setting.within)}: not transient"
        else:
            continue
        if release(db=db, incident=incident, reason=reason, clock=clock):
            released.append(incident.id)
    return released
