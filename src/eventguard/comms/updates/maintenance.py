"""Scheduled maintenance: announced ahead, shown as ``under_maintenance`` while it runs.

With ``auto_transition`` (the default) a scheduled maintenance counts as ``in_progress`` from
``scheduled_for`` and as ``completed`` from ``scheduled_until`` without anyone touching it; a status
set by hand (``verifying``, an early ``completed``) always wins over the clock."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from eventguard.audit import service as audit
from eventguard.audit.service import Actor
from eventguard.clock import Clock
from eventguard.comms.models import Maintenance, MaintenanceStatus, MaintenanceUpdate
from eventguard.comms.statuspage import state
from eventguard.errors import InvalidInput, NotFound
from eventguard.i18n import Message
from eventguard.outbox import service as outbox
from eventguard.plans.schemas import PlanSpec

M = MaintenanceStatus
RUNNING = frozenset({M.in_progress, M.verifying})
RECENT = timedelta(days=7)  # completed maintenances stay on the page this long


def effective_status(maintenance: Maintenance, now: datetime) -> MaintenanceStatus:
    """The status shown at ``now`` (see the module docstring)."""
    status = maintenance.status
    if not maintenance.auto_transition or status in (M.verifying, M.completed):
        return status
    if now >= maintenance.scheduled_until:
        return M.completed
    if now >= maintenance.scheduled_for:
        return M.in_progress
    return status


def boundaries(maintenance: Maintenance) -> tuple[datetime, ...]:
    """Moments at which the shown status may change by the clock alone."""
    if not maintenance.auto_transition or maintenance.status in (M.verifying, M.completed):
        return ()
    return (maintenance.scheduled_for, maintenance.scheduled_until)


def get(*, db: Session, maintenance_id: int, event_id: int | None = None) -> Maintenance:
    """The maintenance (of ``event_id`` when given); 404 otherwise."""
    found = db.get(Maintenance, maintenance_id)
    if found is None or event_id not in (None, found.event_id):
        raise NotFound(Message("No maintenance {id}.", {"id": maintenance_id}), code="maintenance_not_found")
    return found


def get_update(*, db: Session, update_id: int) -> MaintenanceUpdate:
    """The maintenance update, locked for the rest of the transaction; 404 otherwise."""
    found = db.get(MaintenanceUpdate, update_id, with_for_update=True)
    if found is None:
        raise NotFound(Message("No maintenance {id}.", {"id": update_id}), code="maintenance_not_found")
    return found


def list_recent(*, db: Session, event_id: int, now: datetime) -> Sequence[Maintenance]:
    """Upcoming, running and recently ended maintenances, soonest first."""
    query = (
        select(Maintenance)
        .where(Maintenance.event_id == event_id, Maintenance.scheduled_until >= now - RECENT)
        .order_by(Maintenance.scheduled_for, Maintenance.id)
    )
    return db.scalars(query).all()


def updates_of(*, db: Session, maintenance_ids: Sequence[int]) -> dict[int, list[MaintenanceUpdate]]:
    """maintenance id -> its updates, newest first."""
    found: dict[int, list[MaintenanceUpdate]] = {mid: [] for mid in maintenance_ids}
    if maintenance_ids:
        query = (
            select(MaintenanceUpdate)
            .where(MaintenanceUpdate.maintenance_id.in_(maintenance_ids))
            .order_by(MaintenanceUpdate.id.desc())
        )
        for row in db.scalars(query):
            found[row.maintenance_id].append(row)
    return found


def schedule(
    *,
    db: Session,
    event_id: int,
    spec: PlanSpec,
    title: dict[str, str],
    body: dict[str, str],
    components: list[str],
    scheduled_for: datetime,
    scheduled_until: datetime,
    auto_transition: bool,
    notify: bool,
    actor: Actor,
    clock: Clock,
) -> Maintenance:
    """Announce a maintenance window for some components (subscribers are told when ``notify``)."""
    unknown = sorted(set(components) - {f.id for f in spec.core_functions})
    if unknown:
        raise InvalidInput(
            Message("The plan has no core function {functions}.", {"functions": ", ".join(unknown)}),
            code="unknown_core_function",
        )
    if scheduled_until <= scheduled_for:
        raise InvalidInput(
            Message("A maintenance must end after it starts."), code="maintenance_window_invalid"
        )
    now = clock.now()
    maintenance = Maintenance(
        event_id=event_id,
        title=title,
        components=components,
        status=M.scheduled,
        auto_transition=auto_transition,
        scheduled_for=scheduled_for,
        scheduled_until=scheduled_until,
        created_at=now,
        created_by=actor.name,
        updated_at=now,
    )
    db.add(maintenance)
    db.flush()
    _add_update(db, maintenance, M.scheduled, body, notify, actor, clock)
    return maintenance


def change_status(
    *,
    db: Session,
    maintenance: Maintenance,
    status: MaintenanceStatus,
    body: dict[str, str],
    notify: bool,
    actor: Actor,
    clock: Clock,
) -> Maintenance:
    """Set the status by hand (e.g. ``verifying``, or ``completed`` early) with a message."""
    if effective_status(maintenance, clock.now()) is M.completed and status is not M.completed:
        raise InvalidInput(
            Message("A completed maintenance cannot be reopened."), code="maintenance_completed"
        )
    maintenance.status = status
    maintenance.auto_transition = maintenance.auto_transition and status in (M.scheduled, M.in_progress)
    maintenance.updated_at = clock.now()
    _add_update(db, maintenance, status, body, notify, actor, clock)
    return maintenance


def _add_update(
    db: Session,
    maintenance: Maintenance,
    status: MaintenanceStatus,
    body: dict[str, str],
    notify: bool,
    actor: Actor,
    clock: Clock,
) -> MaintenanceUpdate:
    update = MaintenanceUpdate(
        maintenance_id=maintenance.id,
        status=status,
        body=body,
        created_at=clock.now(),
        created_by=actor.name,
        notify=notify,
    )
    db.add(update)
    db.flush()
    audit.record(
        db=db,
        actor=actor,
        action=f"maintenance.{status.value}",
        target_type="maintenance",
        target_id=maintenance.id,
        after={"status": status.value, "components": list(maintenance.components)},
        clock=clock,
    )
    if notify:
        outbox.enqueue(
            db=db,
            topic="comms.maintenance_updated",
            aggregate_type="maintenance_update",
            aggregate_id=update.id,
            event_id=maintenance.event_id,
            payload={"maintenance_id": maintenance.id, "status": status.value},
            clock=clock,
        )
    state.touch(db=db, event_id=maintenance.event_id, clock=clock)
    return update
