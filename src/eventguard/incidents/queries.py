"""Reading incidents: filtered, paginated lists."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from eventguard.incidents.lifecycle import OPEN_STATES
from eventguard.incidents.models import Incident, IncidentStatus


def list_incidents(
    *,
    db: Session,
    event_id: int | None = None,
    statuses: Sequence[IncidentStatus] = (),
    levels: Sequence[int] = (),
    scenario_id: str | None = None,
    open_only: bool = False,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[Sequence[Incident], int]:
    """Newest first, with the total count of matches for pagination."""
    query = select(Incident)
    if event_id is not None:
        query = query.where(Incident.event_id == event_id)
    if statuses:
        query = query.where(Incident.status.in_(list(statuses)))
    if open_only:
        query = query.where(Incident.status.in_(list(OPEN_STATES)))
    if levels:
        query = query.where(Incident.level.in_(list(levels)))
    if scenario_id:
        query = query.where(Incident.scenario_id == scenario_id)
    if since:
        query = query.where(Incident.opened_at >= since)
    if until:
        query = query.where(Incident.opened_at < until)
    total = db.scalar(select(func.count()).select_from(query.subquery())) or 0
    items = db.scalars(
        query.order_by(Incident.opened_at.desc(), Incident.id.desc()).limit(limit).offset(offset)
    )
    return items.all(), total


def with_group_prefix(*, db: Session, event_id: int, prefix: str) -> Sequence[Incident]:
    """The event's incidents whose alert group key starts with ``prefix`` (a drill run's), oldest first."""
    query = select(Incident).where(
        Incident.event_id == event_id, Incident.group_key.startswith(prefix, autoescape=True)
    )
    return db.scalars(query.order_by(Incident.opened_at, Incident.id)).all()
