"""Noise control: silences and maintenance windows (API, CLI, console, plan), matched against alerts
while the intake journal is processed (``rules_for`` once per batch, ``Ruleset.match`` per alert), and
what they did to incidents: counted suppressions and held pages (``record``, ``hold``, ``release``).

Keyword-only functions taking the session; they flush at most, the caller commits."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from eventguard.audit import service as audit
from eventguard.audit.service import Actor
from eventguard.clock import Clock
from eventguard.errors import Conflict, InvalidInput, NotFound
from eventguard.i18n import Message
from eventguard.incidents import service as incidents
from eventguard.incidents import timeline
from eventguard.incidents.models import Incident
from eventguard.noise import metrics
from eventguard.noise.flapping import KEY as FLAPPING_KEY
from eventguard.noise.matchers import Matcher, MatcherError, all_match, build_all, check_set
from eventguard.noise.models import (
    AlertFlap,
    IncidentReminder,
    MaintenanceWindow,
    PagingHold,
    Silence,
    Suppression,
)
from eventguard.noise.schemas import FlapRead, HoldRead, IncidentNoise, ReminderRead, SuppressionRead
from eventguard.noise.windows import Recurrence, Repeat
from eventguard.plans.schemas import PlanSpec

MAX_SILENCE = timedelta(days=366)
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


def _matchers(items: Sequence[dict[str, str]]) -> list[Matcher]:
    try:
        found = build_all(items)
        check_set(found)
    except (MatcherError, KeyError) as exc:
        raise InvalidInput(
            Message("Bad matchers: {problem}.", {"problem": str(exc)}), code="invalid_matchers"
        ) from None
    return found


def _describe_silence(silence: Silence) -> str:
    shown = ", ".join(str(m) for m in build_all(silence.matchers))
    return f"silence #{silence.id} by {silence.created_by} ({shown}): {silence.comment}"


def _window_recurrence(window: MaintenanceWindow) -> Recurrence:
    return Recurrence(
        start=window.starts_at,
        duration=timedelta(seconds=window.duration_seconds),
        repeat=window.repeat,  # type: ignore[arg-type]
        timezone=window.timezone,
        until=window.until,
    )


def plan_windows(spec: PlanSpec) -> list[tuple[Any, Recurrence]]:
    return [
        (
            item,
            Recurrence(
                start=item.start,
                duration=item.duration,
                repeat=item.repeat,
                timezone=spec.event.timezone,
                until=item.until,
            ),
        )
        for item in spec.maintenance_windows
    ]


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
                _describe_silence(silence),
                tuple(build_all(silence.matchers)),
            )
        )
    windows = db.scalars(
        select(MaintenanceWindow)
        .where(
            MaintenanceWindow.event_id == event_id,
            MaintenanceWindow.deleted_at.is_(None),
            MaintenanceWindow.starts_at <= at,
            or_(MaintenanceWindow.until.is_(None), MaintenanceWindow.until > at - MAX_SILENCE),
        )
        .order_by(MaintenanceWindow.id)
    )
    for window in windows:
        start = _window_recurrence(window).covering(at)
        if start is not None:
            text = f"maintenance window #{window.id} {window.name} (from {start.isoformat()})"
            found.append(Rule("maintenance", f"window:{window.id}", text, tuple(build_all(window.matchers))))
    for item, recurrence in plan_windows(spec):
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


def create_silence(
    *,
    db: Session,
    event_id: int,
    matchers: Sequence[dict[str, str]],
    starts_at: datetime | None,
    ends_at: datetime,
    comment: str,
    actor: Actor,
    source: str,
    clock: Clock,
) -> Silence:
    built = _matchers(matchers)
    now = clock.now()
    start = starts_at or now
    if ends_at <= start:
        raise InvalidInput(Message("A silence must end after it starts."), code="silence_ends_before_start")
    if ends_at - start > MAX_SILENCE:
        raise InvalidInput(Message("A silence lasts at most a year."), code="silence_too_long")
    if ends_at <= now:
        raise InvalidInput(Message("A silence must end in the future."), code="silence_in_the_past")
    silence = Silence(
        event_id=event_id,
        matchers=[m.as_dict() for m in built],
        starts_at=start,
        ends_at=ends_at,
        comment=comment,
        created_by=actor.name,
        created_at=now,
        source=source,
    )
    db.add(silence)
    db.flush()
    audit.record(
        db=db,
        actor=actor,
        action="silence.create",
        target_type="silence",
        target_id=silence.id,
        after=silence_view(silence, now),
        clock=clock,
    )
    return silence


def get_silence(*, db: Session, event_id: int, silence_id: int) -> Silence:
    silence = db.get(Silence, silence_id)
    if silence is None or silence.event_id != event_id:
        raise NotFound(Message("No silence {id}.", {"id": silence_id}), code="silence_not_found")
    return silence


def silence_state(silence: Silence, at: datetime) -> str:
    """Alertmanager's states: pending (not started), active, expired."""
    if silence.expired_at is not None or silence.ends_at <= at:
        return "expired"
    return "pending" if silence.starts_at > at else "active"


def silence_view(silence: Silence, at: datetime) -> dict[str, Any]:
    return {
        "id": silence.id,
        "event_id": silence.event_id,
        "matchers": list(silence.matchers),
        "starts_at": silence.starts_at.isoformat(),
        "ends_at": silence.ends_at.isoformat(),
        "comment": silence.comment,
        "created_by": silence.created_by,
        "created_at": silence.created_at.isoformat(),
        "source": silence.source,
        "state": silence_state(silence, at),
        "expired_at": silence.expired_at.isoformat() if silence.expired_at else None,
        "expired_by": silence.expired_by,
    }


def list_silences(
    *, db: Session, event_id: int, include_expired: bool = False, at: datetime
) -> list[Silence]:
    query = select(Silence).where(Silence.event_id == event_id)
    if not include_expired:
        query = query.where(Silence.expired_at.is_(None), Silence.ends_at > at)
    return list(db.scalars(query.order_by(Silence.ends_at, Silence.id)))


def expire_silence(*, db: Session, event_id: int, silence_id: int, actor: Actor, clock: Clock) -> Silence:
    silence = get_silence(db=db, event_id=event_id, silence_id=silence_id)
    now = clock.now()
    if silence_state(silence, now) == "expired":
        raise Conflict(
            Message("Silence {id} has already expired.", {"id": silence_id}), code="silence_expired"
        )
    before = silence_view(silence, now)
    silence.expired_at, silence.expired_by = now, actor.name
    if silence.starts_at > now:
        silence.starts_at = now
    silence.ends_at = now
    audit.record(
        db=db,
        actor=actor,
        action="silence.expire",
        target_type="silence",
        target_id=silence.id,
        before=before,
        after=silence_view(silence, now),
        clock=clock,
    )
    return silence


# --- Ad-hoc maintenance windows ----------------------------------------------------------------


def create_window(
    *,
    db: Session,
    event_id: int,
    timezone: str,
    name: str,
    matchers: Sequence[dict[str, str]],
    starts_at: datetime,
    duration: timedelta,
    repeat: Repeat,
    until: datetime | None,
    actor: Actor,
    clock: Clock,
    status_page: dict[str, Any] | None = None,
    known_components: Sequence[str] = (),
) -> MaintenanceWindow:
    """``status_page``: {components, title, body, announce_before (timedelta), notify} or None;
    its components must be among ``known_components`` (the plan's core functions)."""
    built = _matchers(matchers)
    posted = _status_page(status_page, known_components) if status_page is not None else None
    if duration <= timedelta(0):
        raise InvalidInput(Message("A maintenance window needs a positive duration."), code="window_duration")
    step = {"daily": timedelta(days=1), "weekly": timedelta(weeks=1)}.get(repeat)
    if step is not None and duration > step:
        raise InvalidInput(
            Message(
                "A {repeat} maintenance window lasts at most {step}.", {"repeat": repeat, "step": str(step)}
            ),
            code="window_duration",
        )
    if until is not None and until <= starts_at:
        raise InvalidInput(Message("A maintenance window must end after it starts."), code="window_until")
    now = clock.now()
    window = MaintenanceWindow(
        event_id=event_id,
        name=name,
        matchers=[m.as_dict() for m in built],
        starts_at=starts_at,
        duration_seconds=int(duration.total_seconds()),
        repeat=repeat,
        until=until,
        timezone=timezone,
        created_by=actor.name,
        created_at=now,
        status_page=posted,
    )
    db.add(window)
    db.flush()
    audit.record(
        db=db,
        actor=actor,
        action="maintenance_window.create",
        target_type="maintenance_window",
        target_id=window.id,
        after=window_view(window, now),
        clock=clock,
    )
    return window


def _status_page(value: dict[str, Any], known: Sequence[str]) -> dict[str, Any]:
    unknown = sorted(set(value["components"]) - set(known))
    if unknown:
        raise InvalidInput(
            Message("The plan has no core function {functions}.", {"functions": ", ".join(unknown)}),
            code="unknown_core_function",
        )
    if not value.get("components"):
        raise InvalidInput(
            Message("Name the core functions the maintenance affects on the status page."),
            code="window_components",
        )
    announce = value.get("announce_before")
    if announce is None:
        announce = timedelta(hours=24)
    if announce < timedelta(0) or announce > MAX_SILENCE:
        raise InvalidInput(
            Message("announce_before must be between 0 and a year."), code="window_announce_before"
        )
    return {
        "components": list(value["components"]),
        "title": value.get("title"),
        "body": value.get("body"),
        "announce_before_seconds": int(announce.total_seconds()),
        "notify": bool(value.get("notify", True)),
    }


def window_view(window: MaintenanceWindow, at: datetime) -> dict[str, Any]:
    recurrence = _window_recurrence(window)
    on = recurrence.covering(at) if window.deleted_at is None else None
    upcoming = recurrence.next_start(at) if window.deleted_at is None else None
    return {
        "id": window.id,
        "origin": "api",
        "name": window.name,
        "matchers": list(window.matchers),
        "starts_at": window.starts_at.isoformat(),
        "duration_seconds": window.duration_seconds,
        "repeat": window.repeat,
        "until": window.until.isoformat() if window.until else None,
        "timezone": window.timezone,
        "created_by": window.created_by,
        "active": on is not None,
        "current_start": on.isoformat() if on else None,
        "next_start": upcoming.isoformat() if upcoming else None,
        "status_page": window.status_page,
    }


def plan_window_view(item: Any, recurrence: Recurrence, at: datetime) -> dict[str, Any]:
    on, upcoming = recurrence.covering(at), recurrence.next_start(at)
    return {
        "id": item.id,
        "origin": "plan",
        "name": item.name.en,
        "matchers": [{"name": m.name, "op": m.op, "value": m.value} for m in item.matchers],
        "starts_at": item.start.isoformat(),
        "duration_seconds": int(item.duration.total_seconds()),
        "repeat": item.repeat,
        "until": item.until.isoformat() if item.until else None,
        "timezone": recurrence.timezone,
        "created_by": "plan",
        "active": on is not None,
        "current_start": on.isoformat() if on else None,
        "next_start": upcoming.isoformat() if upcoming else None,
        "status_page": (
            {
                "components": list(item.status_page.components),
                "title": item.status_page.title.model_dump(by_alias=True) if item.status_page.title else None,
                "body": item.status_page.body.model_dump(by_alias=True) if item.status_page.body else None,
                "announce_before_seconds": int(item.status_page.announce_before.total_seconds()),
                "notify": item.status_page.notify,
            }
            if item.status_page is not None
            else None
        ),
    }


def list_windows(*, db: Session, event_id: int) -> list[MaintenanceWindow]:
    query = select(MaintenanceWindow).where(
        MaintenanceWindow.event_id == event_id, MaintenanceWindow.deleted_at.is_(None)
    )
    return list(db.scalars(query.order_by(MaintenanceWindow.id)))


def delete_window(
    *, db: Session, event_id: int, window_id: int, actor: Actor, clock: Clock
) -> MaintenanceWindow:
    window = db.get(MaintenanceWindow, window_id)
    if window is None or window.event_id != event_id or window.deleted_at is not None:
        raise NotFound(
            Message("No maintenance window {id}.", {"id": window_id}), code="maintenance_window_not_found"
        )
    now = clock.now()
    window.deleted_at = now
    audit.record(
        db=db,
        actor=actor,
        action="maintenance_window.delete",
        target_type="maintenance_window",
        target_id=window.id,
        before=window_view(window, now),
        clock=clock,
    )
    return window


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
