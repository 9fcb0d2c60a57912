"""What the rest of the app asks of notify: an incident's deliveries and its notify-within SLA rows.

Keyword-only functions that take the session and never commit. Planning deliveries from domain
events (``planner``), sending them (``sender``), their outcomes (``outcomes``) and the timers
(``timers``) run in the worker; channel health and test messages are ``channel_admin``."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from eventguard.incidents.models import Incident
from eventguard.notify.models import Delivery, NotificationSla


def incident_deliveries(*, db: Session, incident_id: int) -> Sequence[Delivery]:
    """Every delivery of the incident (notifications, escalations, failovers), oldest first."""
    return db.scalars(select(Delivery).where(Delivery.incident_id == incident_id).order_by(Delivery.id)).all()


def sla_rows(*, db: Session, incident_id: int, current_only: bool = False) -> Sequence[NotificationSla]:
    """The incident's notify-within SLA rows, one per notified role and level, in the order they
    were opened. ``current_only``: only those of the incident's current level (after a re-level to
    a more severe level, the new level's clocks; roles reached before count as met) — when the
    current level has none (re-levelled to a less severe one), the newest row of each role."""
    query = (
        select(NotificationSla).where(NotificationSla.incident_id == incident_id).order_by(NotificationSla.id)
    )
    rows = db.scalars(query).all()
    if not current_only:
        return rows
    level = db.scalar(select(Incident.level).where(Incident.id == incident_id))
    current = [row for row in rows if row.level == level]
    if current:
        return current
    newest = {row.target: row for row in rows}
    return sorted(newest.values(), key=lambda row: row.id)
