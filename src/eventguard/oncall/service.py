"""On-call: who is on call for a schedule or a team (the plan's layers, then the overrides stored
here), shifts of a window, overrides, and the signed tokens of the iCal feeds.

Keyword-only functions that take the session; they flush, callers commit. The notification worker
calls ``on_call_for_team``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import select
from sqlalchemy.orm import Session

from eventguard.audit.service import Actor, record
from eventguard.clock import Clock
from eventguard.config import Settings
from eventguard.errors import Forbidden, InvalidInput, NotFound
from eventguard.i18n import Message
from eventguard.oncall import rotation
from eventguard.oncall.models import OnCallOverride
from eventguard.oncall.rotation import OverrideWindow, Shift
from eventguard.plans.schemas import Person, PlanSpec, Schedule
from eventguard.plans.types import PhaseName

FeedKind = Literal["schedules", "people"]
OnCallSource = Literal["override", "schedule", "lead", "nobody"]
MAX_REASON = 500


@dataclass(frozen=True)
class TeamOnCall:
    """Who is on call for a team now and why: an override, its schedule's layers, or its lead."""

    team_id: str
    schedule_id: str | None
    people: list[str]
    source: OnCallSource


def get_schedule(*, spec: PlanSpec, schedule_id: str) -> Schedule:
    """The plan's schedule ``schedule_id``; NotFound otherwise."""
    schedule = spec.schedule(schedule_id)
    if schedule is None:
        raise NotFound(
            Message('The plan has no schedule "{schedule}".', {"schedule": schedule_id}),
            code="schedule_not_found",
            details={"schedule": schedule_id},
        )
    return schedule


def get_person(*, spec: PlanSpec, person_id: str) -> Person:
    """The plan's person ``person_id``; NotFound otherwise."""
    person = next((item for item in spec.people if item.id == person_id), None)
    if person is None:
        raise NotFound(
            Message('The plan has no person "{person}".', {"person": person_id}),
            code="person_not_found",
            details={"person": person_id},
        )
    return person


def team_schedule(*, spec: PlanSpec, team_id: str) -> Schedule | None:
    """The schedule that serves ``team_id`` (the first one, if the plan lists several)."""
    return next((item for item in spec.schedules if item.team == team_id), None)


def override_windows(
    *, db: Session, event_id: int, schedule_id: str, start: datetime, end: datetime
) -> list[OverrideWindow]:
    """The schedule's overrides that overlap ``[start, end)``, oldest first (the newest wins)."""
    rows = list_overrides(db=db, event_id=event_id, schedule_id=schedule_id, since=start, until=end)
    newest_last = sorted(rows, key=lambda row: row.id)
    return [OverrideWindow(row.person_id, row.start, row.end, row.id) for row in newest_last]


def _overrides_at(db: Session, event_id: int, schedule_id: str, at: datetime) -> list[OverrideWindow]:
    return override_windows(
        db=db, event_id=event_id, schedule_id=schedule_id, start=at, end=at + timedelta(microseconds=1)
    )


def who_is_on_call(
    *, db: Session, event_id: int, spec: PlanSpec, schedule_id: str, at: datetime, phase: PhaseName | None
) -> list[str]:
    """Person ids on call for the schedule at ``at`` during ``phase`` (none or one); overrides win."""
    schedule = get_schedule(spec=spec, schedule_id=schedule_id)
    overrides = _overrides_at(db, event_id, schedule.id, at)
    return rotation.on_call(schedule, at, phase, event_timezone=spec.event.timezone, overrides=overrides)


def team_on_call(*, db: Session, event_id: int, spec: PlanSpec, team_id: str, at: datetime) -> TeamOnCall:
    """Who is on call for the team at ``at`` and why. A team with a schedule gets its override or
    layer; when the schedule has nobody then (or the team has no schedule), the team's lead."""
    schedule = team_schedule(spec=spec, team_id=team_id)
    if schedule is not None:
        overrides = _overrides_at(db, event_id, schedule.id, at)
        phase = rotation.phase_at(spec.event.phases, at)
        people = rotation.on_call(
            schedule, at, phase, event_timezone=spec.event.timezone, overrides=overrides
        )
        if people:
            by_override = any(o.start <= at < o.end for o in overrides)
            return TeamOnCall(team_id, schedule.id, people, "override" if by_override else "schedule")
    team = spec.team(team_id)
    schedule_id = schedule.id if schedule else None
    if team is None or team.lead is None:
        return TeamOnCall(team_id, schedule_id, [], "nobody")
    return TeamOnCall(team_id, schedule_id, [team.lead], "lead")


def on_call_for_team(*, db: Session, event_id: int, spec: PlanSpec, team_id: str, at: datetime) -> list[str]:
    """Person ids to notify as the team's on-call at ``at``: its schedule (overrides included),
    else its lead; empty for an unknown team. What the notification worker calls."""
    return team_on_call(db=db, event_id=event_id, spec=spec, team_id=team_id, at=at).people


def schedule_shifts(
    *, db: Session, event_id: int, spec: PlanSpec, schedule_id: str, start: datetime, end: datetime
) -> list[Shift]:
    """The schedule's shifts (overrides included) that overlap ``[start, end)``."""
    schedule = get_schedule(spec=spec, schedule_id=schedule_id)
    pad = rotation.lookaround(schedule)
    overrides = override_windows(
        db=db, event_id=event_id, schedule_id=schedule.id, start=start - pad, end=end + pad
    )
    return rotation.shifts(
        schedule, start, end, spec.event.phases, event_timezone=spec.event.timezone, overrides=overrides
    )


def person_shifts(
    *, db: Session, event_id: int, spec: PlanSpec, person_id: str, start: datetime, end: datetime
) -> list[tuple[Schedule, Shift]]:
    """Every shift of the person across the event's schedules that overlaps ``[start, end)``."""
    get_person(spec=spec, person_id=person_id)
    found = [
        (schedule, shift)
        for schedule in spec.schedules
        for shift in schedule_shifts(
            db=db, event_id=event_id, spec=spec, schedule_id=schedule.id, start=start, end=end
        )
        if shift.person == person_id
    ]
    return sorted(found, key=lambda pair: (pair[1].start, pair[0].id))


def next_handoff(
    *, db: Session, event_id: int, spec: PlanSpec, schedule_id: str, at: datetime
) -> datetime | None:
    """When the person on call for the schedule next changes (within 60 days), overrides included."""
    schedule = get_schedule(spec=spec, schedule_id=schedule_id)
    horizon = timedelta(days=60)
    overrides = override_windows(
        db=db, event_id=event_id, schedule_id=schedule.id, start=at, end=at + horizon
    )
    return rotation.next_change(
        schedule,
        at,
        spec.event.phases,
        event_timezone=spec.event.timezone,
        overrides=overrides,
        horizon=horizon,
    )


def _aware(value: datetime, name: str) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise InvalidInput(
            Message("The {name} time needs a UTC offset, like 2026-06-16T08:00:00+08:00.", {"name": name}),
            code="naive_datetime",
            details={"field": name},
        )
    return value.astimezone(UTC)


def _checked_window(
    spec: PlanSpec, person_id: str, start: datetime, end: datetime, reason: str | None, now: datetime
) -> tuple[datetime, datetime]:
    """The override's window in UTC, once the person, times and reason make sense."""
    if not any(person.id == person_id for person in spec.people):
        raise InvalidInput(
            Message('The plan has no person "{person}".', {"person": person_id}),
            code="person_not_found",
            details={"person": person_id},
        )
    start, end = _aware(start, "start"), _aware(end, "end")
    if end <= start:
        raise InvalidInput(Message("The override must end after it starts."), code="override_reversed")
    if end <= now:
        raise InvalidInput(Message("The override has already ended."), code="override_in_the_past")
    if reason is not None and len(reason) > MAX_REASON:
        raise InvalidInput(
            Message("The reason is longer than {limit} characters.", {"limit": MAX_REASON}),
            code="reason_too_long",
        )
    return start, end


def create_override(
    *,
    db: Session,
    event_id: int,
    spec: PlanSpec,
    schedule_id: str,
    person_id: str,
    start: datetime,
    end: datetime,
    reason: str | None,
    actor: Actor,
    clock: Clock,
) -> OnCallOverride:
    """Put ``person_id`` on call for the schedule from ``start`` to ``end`` (audited; flushes).

    NotFound for an unknown schedule; InvalidInput for an unknown person, naive times, an end not
    after the start, or an end already past."""
    schedule = get_schedule(spec=spec, schedule_id=schedule_id)
    start, end = _checked_window(spec, person_id, start, end, reason, clock.now())
    override = OnCallOverride(
        event_id=event_id,
        schedule_id=schedule.id,
        person_id=person_id,
        start=start,
        end=end,
        reason=reason or None,
        created_by=actor.name,
        created_at=clock.now(),
    )
    db.add(override)
    db.flush()
    record(
        db=db,
        actor=actor,
        action="oncall.override.create",
        target_type="oncall_override",
        target_id=override.id,
        after=_snapshot(override),
        clock=clock,
    )
    return override


def _snapshot(override: OnCallOverride) -> dict[str, str | int | None]:
    return {
        "event_id": override.event_id,
        "schedule": override.schedule_id,
        "person": override.person_id,
        "start": override.start.isoformat(),
        "end": override.end.isoformat(),
        "reason": override.reason,
    }


def list_overrides(
    *,
    db: Session,
    event_id: int,
    schedule_id: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> Sequence[OnCallOverride]:
    """The event's overrides (of one schedule) that overlap ``[since, until)``, by start."""
    query = select(OnCallOverride).where(OnCallOverride.event_id == event_id)
    if schedule_id is not None:
        query = query.where(OnCallOverride.schedule_id == schedule_id)
    if since is not None:
        query = query.where(OnCallOverride.end > since)
    if until is not None:
        query = query.where(OnCallOverride.start < until)
    return db.scalars(query.order_by(OnCallOverride.start, OnCallOverride.id)).all()


def get_override(
    *, db: Session, override_id: int, event_id: int | None = None, schedule_id: str | None = None
) -> OnCallOverride:
    """The override ``override_id`` (of that event and schedule, when given); NotFound otherwise."""
    override = db.get(OnCallOverride, override_id)
    if (
        override is None
        or (event_id is not None and override.event_id != event_id)
        or (schedule_id is not None and override.schedule_id != schedule_id)
    ):
        raise NotFound(
            Message("No on-call override {id}.", {"id": override_id}),
            code="override_not_found",
            details={"id": override_id},
        )
    return override


def delete_override(*, db: Session, override: OnCallOverride, actor: Actor, clock: Clock) -> None:
    """Remove an override (audited with what it was; flushes)."""
    record(
        db=db,
        actor=actor,
        action="oncall.override.delete",
        target_type="oncall_override",
        target_id=override.id,
        before=_snapshot(override),
        clock=clock,
    )
    db.delete(override)
    db.flush()


# -- iCal feed tokens. Calendar apps cannot send headers, so a feed URL carries a signed token scoped
# to one event and one schedule or person. It does not expire and is revoked only by rotating
# EVENTGUARD_SECRET_KEY (which also signs every other link).


def _feed_serializer(settings: Settings) -> URLSafeSerializer:
    return URLSafeSerializer(settings.secret_key.get_secret_value(), salt="eventguard-oncall-feed")


def feed_token(*, settings: Settings, slug: str, kind: FeedKind, item_id: str) -> str:
    """The token that opens the iCal feed of one schedule or one person of the event ``slug``."""
    return _feed_serializer(settings).dumps([slug, kind, item_id])


def check_feed_token(*, settings: Settings, token: str, slug: str, kind: FeedKind, item_id: str) -> None:
    """Forbidden unless ``token`` was signed for exactly this feed."""
    try:
        claim = _feed_serializer(settings).loads(token)
    except BadSignature as exc:
        raise Forbidden(Message("This calendar link is not valid."), code="feed_token_invalid") from exc
    if claim != [slug, kind, item_id]:
        raise Forbidden(Message("This calendar link is not valid."), code="feed_token_invalid")


def feed_url(*, settings: Settings, slug: str, kind: FeedKind, item_id: str) -> str:
    """The signed ``https://…/ical/{slug}/{kind}/{id}.ics?token=…`` URL of a feed."""
    token = feed_token(settings=settings, slug=slug, kind=kind, item_id=item_id)
    return f"{settings.base_url.rstrip('/')}/ical/{slug}/{kind}/{item_id}.ics?token={token}"
