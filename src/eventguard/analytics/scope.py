"""Which rows the analytics read (a :class:`Scope`), and the arithmetic every figure shares."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from math import fsum
from statistics import median

from sqlalchemy import ColumnElement

from eventguard.incidents.models import Incident


@dataclass(frozen=True)
class Scope:
    """Which incidents count: of one event (or all), opened in [since, until), real ones or
    (``drills``) only drill ones — a drill's times never flatter or spoil the real figures.

    Incidents merged into another are left out (the one they joined carries their response)."""

    event_id: int | None = None
    since: datetime | None = None
    until: datetime | None = None
    drills: bool = False


def incident_filters(scope: Scope) -> list[ColumnElement[bool]]:
    """The ``WHERE`` of the scope's incidents (for a query that has ``incidents`` in it)."""
    where: list[ColumnElement[bool]] = [Incident.merged_into_id.is_(None)]
    if scope.event_id is not None:
        where.append(Incident.event_id == scope.event_id)
    if scope.since is not None:
        where.append(Incident.opened_at >= scope.since)
    if scope.until is not None:
        where.append(Incident.opened_at < scope.until)
    where.append(Incident.is_drill.is_(scope.drills))
    return where


def seconds(start: datetime, end: datetime | None) -> float | None:
    """From ``start`` to ``end`` (never below 0), None when it has not happened yet."""
    return None if end is None else max(0.0, (end - start).total_seconds())


def rounded_mean(values: Sequence[float]) -> float | None:
    # fsum, not statistics.mean: the same value here, without its exact-fraction arithmetic.
    return round(fsum(values) / len(values), 1) if values else None


def rounded_median(values: Sequence[float]) -> float | None:
    return round(median(values), 1) if values else None
