"""Flapping: an alert that fires and resolves more than ``noise.flapping.times`` times within
``within`` is marked flapping. It paged once (when its incident opened); while it flaps, its
re-fires are held like a silenced alert's (no reopened incident pages, the level does not rise),
counted and explained on the incident, whose room shows the alert's fire/resolve history. When it
has not changed for ``within`` it stops flapping; if it still fires, a held incident is released.

Only kept when the plan has ``noise.flapping``: one row per alert that ever resolved, written when
it resolves or fires again (never for a new alert, so a storm of new alerts costs nothing here)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from eventguard.audit.service import Actor
from eventguard.clock import Clock
from eventguard.incidents import timeline
from eventguard.incidents.models import Incident
from eventguard.noise import metrics
from eventguard.noise.models import AlertFlap, PagingHold
from eventguard.plans.schemas import FlappingSpec, PlanSpec
from eventguard.plans.types import format_duration

HISTORY = 50  # changes kept per alert
CHUNK = 500
KEY = "flapping"
ACTOR = Actor(type="system", name="noise")


@dataclass(frozen=True)
class Change:
    fingerprint: str
    status: str  # firing | resolved
    incident_id: int | None
    first_seen: datetime  # when the alert first fired (the start of its history)
    level: int


def describe(spec: FlappingSpec) -> str:
    return (
        f"flapping: fired and resolved more than {spec.times} times within "
        f"{format_duration(spec.within)}; paged once"
    )


def flapping_now(*, db: Session, event_id: int, fingerprints: Sequence[str]) -> set[str]:
    """Which of these alerts are flapping now."""
    found: set[str] = set()
    for start in range(0, len(fingerprints), CHUNK):
        query = select(AlertFlap.fingerprint).where(
            AlertFlap.event_id == event_id,
            AlertFlap.fingerprint.in_(fingerprints[start : start + CHUNK]),
            AlertFlap.flapping_since.is_not(None),
        )
        found.update(db.scalars(query))
    return found


def _resolves_within(history: list[dict[str, str]], since: datetime) -> int:
    return sum(
        1 for item in history if item["status"] == "resolved" and datetime.fromisoformat(item["at"]) >= since
    )


def track(*, db: Session, event_id: int, spec: PlanSpec, changes: Sequence[Change], clock: Clock) -> None:
    """Record this wave's status changes; alerts that pass the threshold start flapping (their
    incident's timeline says so, ``/metrics`` counts them)."""
    settings = spec.noise.flapping
    if settings is None or not changes:
        return
    changes = [c for c in changes if not settings.levels or c.level in settings.levels]
    now = clock.now()
    rows: dict[str, AlertFlap] = {}
    fingerprints = [c.fingerprint for c in changes]
    for start in range(0, len(fingerprints), CHUNK):
        query = select(AlertFlap).where(
            AlertFlap.event_id == event_id, AlertFlap.fingerprint.in_(fingerprints[start : start + CHUNK])
        )
        rows.update((row.fingerprint, row) for row in db.scalars(query))
    started: list[tuple[AlertFlap, int]] = []
    for change in changes:
        row = rows.get(change.fingerprint)
        if row is None:
            row = AlertFlap(
                event_id=event_id,
                fingerprint=change.fingerprint,
                history=[{"at": change.first_seen.isoformat(), "status": "firing"}],
                last_change_at=now,
                times_flapping=0,
            )
            db.add(row)
            rows[change.fingerprint] = row
        row.history = [*row.history, {"at": now.isoformat(), "status": change.status}][-HISTORY:]
        row.last_change_at = now
        if change.incident_id is not None:
            row.incident_id = change.incident_id
        if row.flapping_since is None:
            count = _resolves_within(row.history, now - settings.within)
            if count > settings.times:
                row.flapping_since = now
                row.times_flapping += 1
                started.append((row, count))
    for row, count in started:
        metrics.FLAPPING_ALERTS.inc()
        incident = db.get(Incident, row.incident_id) if row.incident_id is not None else None
        if incident is not None:
            timeline.add(
                db=db,
                incident=incident,
                kind="suppression",
                actor=ACTOR,
                clock=clock,
                text=(
                    f"alert {row.fingerprint} is flapping: it fired and resolved {count} times within "
                    f"{format_duration(settings.within)}; it paged once, its re-fires are held"
                ),
                data={"flapping": True, "fingerprint": row.fingerprint, "cycles": count},
            )


def sweep(*, db: Session, clock: Clock, spec_of: dict[int, PlanSpec]) -> list[tuple[AlertFlap, bool]]:
    """Alerts that have not changed for their plan's ``within`` stop flapping; returns (row, still
    firing?) of each, for the caller to release held incidents."""
    now = clock.now()
    rows = db.scalars(select(AlertFlap).where(AlertFlap.flapping_since.is_not(None))).all()
    ended: list[tuple[AlertFlap, bool]] = []
    for row in rows:
        spec = spec_of.get(row.event_id)
        settings = spec.noise.flapping if spec is not None else None
        if settings is not None and now < row.last_change_at + settings.within:
            continue
        row.flapping_since = None
        firing = bool(row.history) and row.history[-1]["status"] == "firing"
        incident = db.get(Incident, row.incident_id) if row.incident_id is not None else None
        if incident is not None:
            state = "still fires" if firing else "stays resolved"
            timeline.add(
                db=db,
                incident=incident,
                kind="suppression",
                actor=ACTOR,
                clock=clock,
                text=f"alert {row.fingerprint} stopped flapping and {state}",
                data={"flapping": False, "fingerprint": row.fingerprint},
            )
        ended.append((row, firing))
    return ended


def still_flapping(*, db: Session, incident_id: int) -> bool:
    query = select(AlertFlap.id).where(
        AlertFlap.incident_id == incident_id, AlertFlap.flapping_since.is_not(None)
    )
    return db.scalar(query.limit(1)) is not None


def held_by_flapping(*, db: Session, incident_id: int) -> bool:
    found = db.get(PagingHold, incident_id)
    return found is not None and found.released_at is None and found.rule == KEY


def of_incident(*, db: Session, incident_id: int) -> Sequence[AlertFlap]:
    """The flap histories of the incident's alerts (those that ever resolved), flapping ones first."""
    query = select(AlertFlap).where(AlertFlap.incident_id == incident_id)
    rows = db.scalars(query).all()
    return sorted(rows, key=lambda r: (r.flapping_since is None, r.fingerprint))
