"""How reviews reacts to domain events (run by the worker's outbox dispatcher): a resolved
incident of a level the plan names (``postmortems.levels``; drills with ``postmortems.drills``)
gets its postmortem, pre-filled from its timeline."""

from __future__ import annotations

from sqlalchemy.orm import Session

from eventguard.errors import NotFound
from eventguard.incidents import service as incidents
from eventguard.outbox.models import OutboxMessage
from eventguard.plans import service as plans
from eventguard.reviews import service
from eventguard.worker.context import WorkerContext
from eventguard.worker.dispatch import Handler


def on_incident_resolved(db: Session, message: OutboxMessage, context: WorkerContext) -> None:
    try:
        incident = incidents.get(db=db, incident_id=message.aggregate_id)
    except NotFound:
        return
    policy = plans.get_active_plan(db=db, event_id=incident.event_id).postmortems
    if service.needs_postmortem(incident, levels=policy.levels, drills=policy.drills):
        service.create_for_incident(
            db=db,
            incident=incident,
            actor=service.SYSTEM,
            clock=context.clock,
            language=context.settings.default_language,
        )


HANDLERS: dict[str, Handler] = {"incident.resolved": on_incident_resolved}
