"""Noise control's rules at work: silences (``noise.silencing``) and maintenance windows
(``noise.maintenance``, and the plan's), matched against alerts while the intake journal is processed
(``rules_for`` once per batch, ``Ruleset.match`` per alert), and what they did to incidents: counted
suppressions and held pages (``record``, ``hold``, ``release``).

Keyword-only functions taking the session; they flush at most, the caller commits."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from eventguard.audit.service import Actor
from eventguard.clock import Clock
from eventguard.incidents import service as incidents
from eventguard.incidents import timeline
from eventguard.incidents.models import Incident
from eventguard.noise import maintenance, metrics, silencing
from eventguard.noise.flapping import KEY as FLAPPING_KEY
from eventguard.noise.matchers import Matcher, all_match, build_all
from eventguard.noise.models import (
    AlertFlap,
    IncidentReminder,
    MaintenanceWindow,
    PagingHold,
    Silence,
    Suppression,
)
from eventguard.noise.schemas import FlapRead, HoldRead, IncidentNoise, ReminderRead, SuppressionRead
from eventguard.plans.schemas import PlanSpec

SAMPLE = 20  # fingerprints kept per suppression row


# --- Rules as processing sees them ---------------------------------------------------------


@dataclass(frozen=True)
class Rule:
    kind: str  # silence | maintenance
    key: str  # silence:<id> | window:<id> | plan-window:<id>
    description: str
    matchers: tuple[Matcher, ...]

    def matches(self, labels: dict[str, str]) -> bool:
        return all_match(self.matchers, labels)


class Ruleset:
    """The rules in force, indexed for the journal's hot loop: a rule with an equality matcher
    (``alertname="X"``) is only tried on alerts that have that value, so a batch of alerts costs one
    dictionary look-up per indexed label name, not one evaluation per rule and alert."""

    def __init__(self, rules: list[Rule] | None = None) -> None:
        self.rules = list(rules or [])
        self._index: dict[str, dict[str, list[tuple[int, Rule]]]] = {}
        self._others: list[tuple[int, Rule]] = []
        for position, rule in enumerate(self.rules):
            key = next((m for m in rule.matchers if m.op == "=" and m.value), None)
            if key is None:
                self._others.append((position, rule))
            else:
                self._index.setdefault(key.name, {}).setdefault(key.value, []).append((position, rule))

    def __bool__(self) -> bool:
        return bool(self.rules)

    def match(self, labels: dict[str, str]) -> Rule | None:
        """The first rule (in the order given) whose every matcher matches ``labels``."""
        best: tuple[int, Rule] | None = None
        for name, by_value in self._index.items():
            for candidate in by_value.get(labels.get(name, ""), ()):
                if (best is None or candidate[0] < best[0]) and candidate[1].matches(labels):
                    best = candidate
                    break
        for candidate in self._others:
            if best is not None and candidate[0] > best[0]:
                break
            if candidate[1].matches(labels):
                best = candidate
                break
        return best[1] if best is not None else None


def rules_for(*, db: Session, event_id: int, spec: PlanSpec, at: datetime) -> Ruleset:
    """The silences and maintenance windows of the event in force at ``at`` (two indexed queries)."""
    found: list[Rule] = []
    silences = db.scalars(
        select(Silence)
        .where(
            Silence.event_id == event_id,
            Silence.ends_at > at,
            Silence.starts_at <= at,
            Silence.expired_at.is_(None),
        )
        .order_by(Silence.id)
    )
    for silence in silences:
        found.append(
            Rule(
                "silence",
                f"silence:{silence.id}",
                silencing.describe(silence),
                tuple(build_all(silence.matchers)),
            )
        )
    windows = db.scalars(
        select(MaintenanceWindow)
        .where(
            MaintenanceWindow.event_id == event_id,
            MaintenanceWindow.deleted_at.is_(None),
            MaintenanceWindow.starts_at <= at,
            or_(MaintenanceWindow.until.is_(None), MaintenanceWindow.until > at - silencing.MAX_SILENCE),
        )
        .order_by(MaintenanceWindow.id)
    )
    for window in windows:
        start = maintenance.window_recurrence(window).covering(at)
        if start is not None:
            text = f"maintenance window #{window.id} {window.name} (from {start.isoformat()})"
            found.append(Rule("maintenance", f"window:{window.id}", text, tuple(build_all(window.matchers))))
    for item, recurrence in maintenance.plan_windows(spec):
        start = recurrence.covering(at)
        if start is not None:
            name = item.name.en
            text = f"plan maintenance window {item.id} {name} (from {start.isoformat()})"
            matchers = tuple(Matcher.build(m.name, m.op, m.value) for m in item.matchers)
            found.append(Rule("maintenance", f"plan-window:{item.id}", text, matchers))
    return Ruleset(found)


# --- What the rules did to incidents ----------------------------------------------------------


def record(
    *,
    db: Session,
    incident: Incident,
    held: dict[str, tuple[Rule, list[str]]],
    clock: Clock,
) -> None:
    """Count the alerts each rule held for ``incident`` in this batch (rule key -> (rule,
    fingerprints)); the first time a rule holds an alert of an incident, its timeline says so."""
    if not held:
        return
    now = clock.now()
    rows = {
        row.rule: row
        for row in db.scalars(
            select(Suppression).where(Suppression.incident_id == incident.id, Suppression.rule.in_(held))
        )
    }
    actor = Actor(type="system", name="noise")
    for key, (rule, fingerprints) in sorted(held.items()):
        metrics.SUPPRESSED_ALERTS.labels(rule.kind).inc(len(fingerprints))
        row = rows.get(key)
        if row is None:
            db.add(
                Suppression(
                    event_id=incident.event_id,
                    incident_id=incident.id,
                    kind=rule.kind,
                    rule=key,
                    description=rule.description,
                    alerts=len(fingerprints),
                    fingerprints=fingerprints[:SAMPLE],
                    first_at=now,
                    last_at=now,
                )
            )
            timeline.add(
                db=db,
                incident=incident,
                kind="suppression",
                actor=actor,
                clock=clock,
                text=rule.description,
                data={"rule": key, "kind": rule.kind, "fingerprints": fingerprints[:SAMPLE]},
            )
            continue
        row.alerts += len(fingerprints)
        row.last_at = now
        if len(row.fingerprints) < SAMPLE:
            row.fingerprints = [*row.fingerprints, *fingerprints][:SAMPLE]


def hold(*, db: Session, incident: Incident, rule: Rule, clock: Clock) -> None:
    """Nobody is paged for ``incident`` (every firing alert that opened or reopened it is held)."""
    existing = db.get(PagingHold, incident.id)
    now = clock.now()
    if existing is not None and existing.released_at is None:
        return
    if existing is None:
        db.add(PagingHold(incident_id=incident.id, held_at=now, rule=rule.key, details={"kind": rule.kind}))
    else:
        existing.held_at, existing.rule, existing.released_at, existing.release_reason = (
            now,
            rule.key,
            None,
            None,
        )
    metrics.HELD_INCIDENTS.labels(rule.kind).inc()
    timeline.add(
        db=db,
        incident=incident,
        kind="suppression",
        actor=Actor(type="system", name="noise"),
        clock=clock,
        text=f"paging held by {rule.description}",
        data={"held": True, "rule": rule.key, "kind": rule.kind},
    )


def held_ids(*, db: Session, incident_ids: Sequence[int]) -> set[int]:
    """Which of these incidents are held now (one query)."""
    if not incident_ids:
        return set()
    query = select(PagingHold.incident_id).where(
        PagingHold.incident_id.in_(incident_ids), PagingHold.released_at.is_(None)
    )
    return set(db.scalars(query))


def paging_held(*, db: Session, incident_id: int) -> bool:
    return bool(held_ids(db=db, incident_ids=[incident_id]))


def release(*, db: Session, incident: Incident, reason: str, clock: Clock) -> bool:
    """Lift the hold: the incident pages now (``incident.released``, planned as an opening)."""
    found = db.get(PagingHold, incident.id, with_for_update=True)
    if found is None or found.released_at is not None:
        return False
    found.released_at, found.release_reason = clock.now(), reason
    metrics.RELEASED_INCIDENTS.inc()
    timeline.add(
        db=db,
        incident=incident,
        kind="suppression",
        actor=Actor(type="system", name="noise"),
        clock=clock,
        text=f"paging released: {reason}",
        data={"held": False, "rule": found.rule},
    )
    if incident.is_open:
        incidents.emit(
            db=db, incident=incident, topic="incident.released", clock=clock, extra={"reason": reason}
        )
    return True


def sweep_holds(
    *,
    db: Session,
    clock: Clock,
    spec_of: Callable[[int], PlanSpec],
    firing_labels: Callable[[int], Sequence[dict[str, str]]],
) -> list[int]:
    """Held incidents that still fire while no rule holds some firing alert of theirs any longer
    (the silence expired, the window ended) are released; resolved ones stay held (nothing to say).
    ``spec_of(event_id)`` is the active plan, ``firing_labels(incident_id)`` the labels of the
    incident's firing alerts (the alerts domain's). Returns the released incidents."""
    released: list[int] = []
    holds = db.scalars(select(PagingHold).where(PagingHold.released_at.is_(None))).all()
    now = clock.now()
    for found in holds:
        if found.rule in (FLAPPING_KEY, "transient"):
            continue  # released when its alerts stop flapping or its wait is over (eventguard.noise.jobs)
        incident = db.get(Incident, found.incident_id)
        if incident is None or not incident.is_open or incident.firing_count == 0:
            continue
        rules = rules_for(db=db, event_id=incident.event_id, spec=spec_of(incident.event_id), at=now)
        if any(rules.match(dict(item)) is None for item in firing_labels(incident.id)):
            reason = "its noise rules ended while it still fires"
            if release(db=db, incident=incident, reason=reason, clock=clock):
                released.append(incident.id)
    return released


def suppressions(*, db: Session, incident_id: int) -> Sequence[Suppression]:
    query = select(Suppression).where(Suppression.incident_id == incident_id).order_by(Suppression.id)
    return db.scalars(query).all()


def hold_of(*, db: Session, incident_id: int) -> PagingHold | None:
    return db.get(PagingHold, incident_id)


# --- Silences ----------------------------------------------------------------------------------


def incident_noise(*, db: Session, incident_id: int) -> IncidentNoise:
    """The incident's hold and suppressions, as the API and the incident room show them."""
    found = hold_of(db=db, incident_id=incident_id)
    hold = HoldRead(held=False)
    if found is not None:
        hold = HoldRead(
            held=found.released_at is None,
            rule=found.rule,
            held_at=found.held_at.isoformat(),
            released_at=found.released_at.isoformat() if found.released_at else None,
            release_reason=found.release_reason,
        )
    rows = suppressions(db=db, incident_id=incident_id)
    flaps = db.scalars(select(AlertFlap).where(AlertFlap.incident_id == incident_id)).all()
    reminder = db.get(IncidentReminder, incident_id)
    return IncidentNoise(
        hold=hold,
        flapping=[
            FlapRead(
                fingerprint=f.fingerprint,
                flapping=f.flapping_since is not None,
                flapping_since=f.flapping_since.isoformat() if f.flapping_since else None,
                times_flapping=f.times_flapping,
                history=[{"at": h["at"], "status": h["status"]} for h in f.history],
            )
            for f in sorted(flaps, key=lambda f: (f.flapping_since is None, f.fingerprint))
        ],
        reminders=ReminderRead(
            sent=reminder.sent if reminder else 0,
            last_at=reminder.last_at.isoformat() if reminder and reminder.sent else None,
            last_kind=reminder.last_kind if reminder and reminder.sent else None,
        ),
        suppressions=[
            SuppressionRead(
                rule=r.rule,
                kind=r.kind,
                description=r.description,
                alerts=r.alerts,
                fingerprints=list(r.fingerprints),
                first_at=r.first_at.isoformat(),
                last_at=r.last_at.isoformat(),
            )
            for r in rows
        ],
    )
