"""Outbox handlers: an incident opened at, or re-levelled to, a level the plan's ``war_rooms`` marks
asks for its rooms (the worker's chat job creates them). Idempotent: a room asked for is kept."""

from __future__ import annotations

from sqlalchemy.orm import Session

from eventguard.audit.service import Actor
from eventguard.chat import rooms
from eventguard.incidents.models import Incident
from eventguard.outbox.models import OutboxMessage
from eventguard.plans import service as plans
from eventguard.worker.context import WorkerContext


def ask_for_rooms(db: Session, message: OutboxMessage, context: WorkerContext) -> None:
    if message.aggregate_type != "incident":
        return
    incident = db.get(Incident, message.aggregate_id)
    if incident is None:
        return
    spec = plans.get_active_plan(db=db, event_id=incident.event_id)
    if rooms.wanted_by_plan(incident, spec):
        rooms.request(db=db, incident=incident, spec=spec, actor=Actor.system(), clock=context.clock)


HANDLERS = {"incident.opened": ask_for_rooms, "incident.releveled": ask_for_rooms}
