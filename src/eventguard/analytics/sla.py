"""The notify-within SLA figures: per row met, breached or pending at "now"; per role and level
the met % and the mean time to the first delivery (docs/analytics.md)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from eventguard.analytics.scope import Scope, incident_filters, rounded_mean, seconds
from eventguard.incidents.models import Incident
from eventguard.notify.models import NotificationSla


@dataclass(frozen=True)
class SlaGroup:
    """The notify-within rows of one role (target) at one level: how many were met in time."""

    target: str
    level: int | None
    rows: int
    met: int
    breached: int
    pending: int
    notify_within_seconds: float | None  # the mean deadline - start of the rows
    mean_first_seconds: float | None  # mean time to the first delivery of the delivered rows

    @property
    def decided(self) -> int:
        return self.met + self.breached

    @property
    def met_percent(self) -> float | None:
        return round(100 * self.met / self.decided, 1) if self.decided else None


@dataclass(frozen=True)
class SlaRow:
    """What the SLA figures read of one notify-within row (``notification_sla``)."""

    incident_id: int
    target: str
    level: int | None
    started_at: datetime
    deadline: datetime
    first_delivered_at: datetime | None
    met: bool | None

    @classmethod
    def of(cls, row: NotificationSla) -> SlaRow:
        return cls(
            row.incident_id,
            row.target,
            row.level,
            row.started_at,
            row.deadline,
            row.first_delivered_at,
            row.met,
        )


def _outcome(row: SlaRow, now: datetime) -> str:
    """met | breached | pending: a row nobody decided yet is breached once its deadline passed."""
    if row.met is not None:
        return "met" if row.met else "breached"
    return "breached" if now > row.deadline else "pending"


def group_rows(target: str, level: int | None, rows: Sequence[SlaRow], now: datetime) -> SlaGroup:
    """The figures of ``rows`` together (one role and level, an event, or all of them)."""
    outcomes = Counter(_outcome(row, now) for row in rows)
    firsts = [
        seconds(row.started_at, row.first_delivered_at) or 0.0
        for row in rows
        if row.first_delivered_at is not None
    ]
    return SlaGroup(
        target=target,
        level=level,
        rows=len(rows),
        met=outcomes["met"],
        breached=outcomes["breached"],
        pending=outcomes["pending"],
        notify_within_seconds=rounded_mean([(row.deadline - row.started_at).total_seconds() for row in rows]),
        mean_first_seconds=rounded_mean(firsts),
    )


def sla_rows(*, db: Session, scope: Scope) -> list[SlaRow]:
    """Every notify-within row of the scope's incidents, in the order they were opened."""
    sla = NotificationSla
    query = (
        select(
            sla.incident_id,
            sla.target,
            sla.level,
            sla.started_at,
            sla.deadline,
            sla.first_delivered_at,
            sla.met,
        )
        .join(Incident, Incident.id == sla.incident_id)
        .where(*incident_filters(scope))
    )
    return [SlaRow(*row) for row in db.execute(query.order_by(sla.id))]


def sla(rows: Sequence[SlaRow], now: datetime) -> tuple[SlaGroup, list[SlaGroup]]:
    """All rows together, and one group per role and level (ordered by level, then role)."""
    groups: dict[tuple[int | None, str], list[SlaRow]] = {}
    for row in rows:
        groups.setdefault((row.level, row.target), []).append(row)
    order = sorted(groups, key=lambda key: (key[0] is None, key[0] or 0, key[1]))
    per_role = [group_rows(target, level, groups[(level, target)], now) for level, target in order]
    return group_rows("*", None, rows, now), per_role
