"""What the rest of the app asks of notify: an incident's deliveries and its notify-within SLA rows.

Keyword-only functions that take the session and never commit. Planning deliveries from domain
events (``planner``), sending them (``sender``), their outcomes (``outcomes``) and the timers
(``timers``) run in the worker; channel health and test messages are ``channel_admin``."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from eventguard.notify.models import Delivery, NotificationSla


def incident_deliveries(*, db: Session, incident_id: int) -> Sequence[Delivery]:
    """Every delivery of the incident (notifications, escalations, failovers), oldest first."""
    return db.scalars(select(Delivery).where(Delivery.incident_id == incident_id).order_by(Delivery.id)).all()


def sla_rows(*, db: Session, incident_id: int) -> Sequence[NotificationSla]:
    """The incident's notify-within SLA rows, one per notified role, in the order they were opened."""
    query = (
        select(NotificationSla).where(NotificationSla.incident_id == incident_id).order_by(NotificationSla.id)
    )
    return db.scalars(query).all()
