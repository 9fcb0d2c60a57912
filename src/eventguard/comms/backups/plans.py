"""A plan's backup plans and which are switched on: read by the status page, the announcement drafts
(the links they carry) and the switch itself (``backups.service``)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from eventguard.comms.models import BackupActivation
from eventguard.errors import InvalidInput
from eventguard.i18n import Message
from eventguard.plans.schemas import BackupPlan, PlanSpec


def backup_plan(spec: PlanSpec, backup_id: str) -> BackupPlan:
    """The plan's backup plan ``backup_id``; 422 when the plan has none by that id."""
    found = next((plan for plan in spec.backup_plans if plan.id == backup_id), None)
    if found is None:
        raise InvalidInput(
            Message("The plan has no backup plan {backup}.", {"backup": backup_id}),
            code="unknown_backup_plan",
            details={"known": [plan.id for plan in spec.backup_plans]},
        )
    return found


def primary_link(plan: BackupPlan) -> str | None:
    """The one link an announcement gives for the plan: a watch page, else the stream, else the pack."""
    if plan.links:
        return plan.links[0].url
    return plan.stream_url or plan.offline_pack_url


def list_for_incident(
    *, db: Session, incident_id: int, active_only: bool = False
) -> Sequence[BackupActivation]:
    """The incident's activations, oldest first."""
    query = select(BackupActivation).where(BackupActivation.incident_id == incident_id)
    if active_only:
        query = query.where(BackupActivation.deactivated_at.is_(None))
    return db.scalars(query.order_by(BackupActivation.id)).all()


def list_active(*, db: Session, event_id: int) -> Sequence[BackupActivation]:
    """Every backup plan switched on for the event now (drills included; callers filter)."""
    query = (
        select(BackupActivation)
        .where(BackupActivation.event_id == event_id, BackupActivation.deactivated_at.is_(None))
        .order_by(BackupActivation.id)
    )
    return db.scalars(query).all()


def last_switched(*, db: Session, event_id: int, backup_id: str) -> datetime | None:
    """When the backup plan was last switched on for one of the event's incidents or drills."""
    query = select(func.max(BackupActivation.activated_at)).where(
        BackupActivation.event_id == event_id, BackupActivation.backup_id == backup_id
    )
    moment = db.scalar(query)
    if isinstance(moment, str):  # an aggregate bypasses the column type on SQLite
        moment = datetime.fromisoformat(moment)
    return None if moment is None else moment if moment.tzinfo else moment.replace(tzinfo=UTC)
