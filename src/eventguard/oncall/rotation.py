"""Who is on call from a schedule's layers at an instant, and the shifts of a time window.

Pure functions of the plan (and of the overrides handed in): no database, no clock.

The rules (docs/plan-format.md#schedules):

- **Handoffs happen at local wall-clock time** in the schedule's zone. The k-th handoff of a layer is
  the local date and time ``base + k × step`` (step: 1 day, 7 days or the custom ``length``), turned
  into an instant only then. A 10:00 Europe/Berlin handoff stays at 10:00 across both DST changes;
  the turn that spans a change is shorter or longer (a daily turn across the spring change is 23 h).
- **Local times that do not exist or happen twice** are read with zoneinfo's ``fold=0`` (PEP 495):
  a time in the spring-forward gap (02:30 in Berlin on the last Sunday of March) is read with the
  offset in force before the change, so it falls as late as the gap is long (01:30 UTC = 03:30
  CEST); a time of the fall-back hour (02:30 on the last Sunday of October) is its first occurrence,
  still summer time (00:30 UTC). Restriction windows follow the same rule. A turn whose start and
  end fall on the same instant (a 1 h turn across a gap) is empty.
- **Turns**: ``members[0]`` is on call from the rotation's ``start`` to the first handoff after it,
  then ``members[1]`` … round and round. ``handoff`` defaults to the local time of ``start``.
- **Layers**: a layer applies at an instant when its rotation has started, the event's phase is in
  its ``active_phases`` (if any) and the instant is inside one of its ``restrictions`` windows (if
  any). The last layer that applies decides; where none does, nobody is on call.
- **Overrides** win over every layer for their window; of overlapping overrides the last one handed
  in (the newest) wins.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

from eventguard.plans.schemas import (
    DAY_NAMES,
    WEEKDAYS,
    CustomRotation,
    Phase,
    Restriction,
    Rotation,
    Schedule,
    ScheduleLayer,
    WeeklyRotation,
)
from eventguard.plans.types import PhaseName

OVERRIDE_LAYER = "override"
ONE_DAY = timedelta(days=1)


@dataclass(frozen=True)
class OverrideWindow:
    """Someone put on call by hand from ``start`` to ``end`` (aware datetimes)."""

    person: str
    start: datetime
    end: datetime
    id: int | None = None


@dataclass(frozen=True)
class Shift:
    """``person`` is on call from ``start`` to ``end`` (UTC), decided by ``layer`` (or an override)."""

    person: str
    start: datetime
    end: datetime
    layer: str
    override_id: int | None = None


def schedule_zone(schedule: Schedule, event_timezone: str) -> ZoneInfo:
    """The schedule's time zone: its own, else the event's."""
    return ZoneInfo(schedule.timezone or event_timezone)


def to_instant(local: datetime, zone: ZoneInfo) -> datetime:
    """A local wall-clock time (naive) as a UTC instant, by the fold=0 rule above."""
    return local.replace(tzinfo=zone, fold=0).astimezone(UTC)


def turn_length(rotation: Rotation) -> timedelta:
    """How long one turn of the rotation lasts on the clock face: 1 day, 7 days or its ``length``."""
    if isinstance(rotation, CustomRotation):
        return rotation.length
    return 7 * ONE_DAY if isinstance(rotation, WeeklyRotation) else ONE_DAY


def _clock_time(text: str) -> time:
    hours, minutes = text.split(":")
    return time(int(hours), int(minutes))


class _Turns:
    """The handoffs of one layer's rotation, as local wall times turned into instants on demand."""

    def __init__(self, rotation: Rotation, zone: ZoneInfo) -> None:
        self.zone = zone
        self.step = turn_length(rotation)
        self.start = rotation.start.astimezone(UTC)
        local = rotation.start.astimezone(zone).replace(tzinfo=None)
        handoff = _clock_time(rotation.handoff) if rotation.handoff else local.time()
        base = datetime.combine(local.date(), handoff)
        back = ONE_DAY
        if isinstance(rotation, WeeklyRotation):
            base -= ((base.weekday() - WEEKDAYS.index(rotation.handoff_day)) % 7) * ONE_DAY
            back = 7 * ONE_DAY
        self.base = base - back if base > local else base
        self.first = self.index(self.start)

    def handoff(self, k: int) -> datetime:
        """The instant of the k-th handoff (0: the last one at or before the rotation's start)."""
        return to_instant(self.base + k * self.step, self.zone)

    def index(self, at: datetime) -> int:
        """The turn holding ``at``: the k with handoff(k) <= at < handoff(k + 1)."""
        k = (at - self.handoff(0)) // self.step
        while self.handoff(k + 1) <= at:
            k += 1
        while self.handoff(k) > at:
            k -= 1
        return k

    def handoffs(self, start: datetime, end: datetime) -> Iterator[datetime]:
        """Every handoff strictly between ``start`` and ``end``."""
        k = self.index(start) + 1
        while (instant := self.handoff(k)) < end:
            if instant > start:
                yield instant
            k += 1


def _windows(restriction: Restriction, day: date, zone: ZoneInfo) -> tuple[datetime, datetime] | None:
    """The restriction's window that starts on local ``day`` (None if it does not start that day)."""
    if restriction.days and DAY_NAMES[day.weekday()] not in restriction.days:
        return None
    begin, finish = _clock_time(restriction.from_), _clock_time(restriction.to)
    end_day = day if finish > begin else day + ONE_DAY
    return (
        to_instant(datetime.combine(day, begin), zone),
        to_instant(datetime.combine(end_day, finish), zone),
    )


class _Layer:
    def __init__(self, layer: ScheduleLayer, zone: ZoneInfo) -> None:
        self.layer = layer
        self.zone = zone
        self.turns = _Turns(layer.rotation, zone)

    def applies(self, at: datetime, phase: PhaseName | None) -> bool:
        """Started, in one of its phases and inside one of its restriction windows."""
        if at < self.turns.start or not self.layer.members:
            return False
        if self.layer.active_phases and phase not in self.layer.active_phases:
            return False
        if not self.layer.restrictions:
            return True
        today = at.astimezone(self.zone).date()
        for day in (today - ONE_DAY, today):
            for restriction in self.layer.restrictions:
                window = _windows(restriction, day, self.zone)
                if window is not None and window[0] <= at < window[1]:
                    return True
        return False

    def person(self, at: datetime) -> str:
        """Whose turn it is at ``at``."""
        members = self.layer.members
        return members[(self.turns.index(at) - self.turns.first) % len(members)]

    def boundaries(self, start: datetime, end: datetime) -> Iterator[datetime]:
        """The instants around ``start`` … ``end`` at which this layer may change its mind (its start,
        handoffs, restriction edges); the caller keeps those inside its window."""
        yield self.turns.start
        yield from self.turns.handoffs(start, end)
        first = start.astimezone(self.zone).date() - ONE_DAY
        for offset in range((end.astimezone(self.zone).date() - first).days + 1):
            for restriction in self.layer.restrictions:
                window = _windows(restriction, first + offset * ONE_DAY, self.zone)
                if window is not None:
                    yield from window


class _Schedule:
    """A schedule ready to answer many questions (its layers' handoffs worked out once)."""

    def __init__(self, schedule: Schedule, event_timezone: str, overrides: Sequence[OverrideWindow]) -> None:
        zone = schedule_zone(schedule, event_timezone)
        self.layers = [_Layer(layer, zone) for layer in schedule.layers]
        self.overrides = [o for o in overrides if o.end > o.start]

    def holder(self, at: datetime, phase: PhaseName | None) -> Shift | None:
        """Who is on call at ``at`` and why (the shift's times are filled in by the caller)."""
        for override in reversed(self.overrides):
            if override.start <= at < override.end:
                return Shift(override.person, at, at, OVERRIDE_LAYER, override.id)
        for layer in reversed(self.layers):
            if layer.applies(at, phase):
                return Shift(layer.person(at), at, at, layer.layer.id)
        return None


def lookaround(schedule: Schedule) -> timedelta:
    """How far outside a window ``shifts`` looks for the true start and end of its shifts."""
    return max((turn_length(layer.rotation) for layer in schedule.layers), default=ONE_DAY) + ONE_DAY


def phase_at(phases: Sequence[Phase], at: datetime) -> PhaseName | None:
    """The phase whose window holds ``at`` (as ``plans.service.current_phase``)."""
    return next((phase.name for phase in phases if phase.start <= at < phase.end), None)


def on_call(
    schedule: Schedule,
    at: datetime,
    phase: PhaseName | None,
    *,
    event_timezone: str,
    overrides: Sequence[OverrideWindow] = (),
) -> list[str]:
    """The person ids on call at ``at`` (none or one) during ``phase``; overrides win."""
    holder = _Schedule(schedule, event_timezone, overrides).holder(at.astimezone(UTC), phase)
    return [holder.person] if holder else []


def shifts(
    schedule: Schedule,
    start: datetime,
    end: datetime,
    phases: Sequence[Phase],
    *,
    event_timezone: str,
    overrides: Sequence[OverrideWindow] = (),
) -> list[Shift]:
    """The shifts that overlap ``[start, end)``, oldest first, with their own start and end.

    ``phases`` are the event's phases (a layer limited to ``live`` starts and stops with it). A shift
    is looked for up to one turn (plus a day) outside the window, so a calendar sees the same shift,
    with the same times, from one day to the next."""
    compiled = _Schedule(schedule, event_timezone, overrides)
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    pad = lookaround(schedule)
    low, high = start - pad, end + pad
    points = {low, high}
    for layer in compiled.layers:
        points.update(layer.boundaries(low, high))
    for override in compiled.overrides:
        points.update((override.start, override.end))
    for phase in phases:
        points.update((phase.start.astimezone(UTC), phase.end.astimezone(UTC)))
    found: list[Shift] = []
    for begin, finish in pairwise(sorted(point for point in points if low <= point <= high)):
        holder = compiled.holder(begin, phase_at(phases, begin))
        if holder is None:
            continue
        last = found[-1] if found else None
        if last and (last.person, last.layer, last.override_id, last.end) == (
            holder.person,
            holder.layer,
            holder.override_id,
            begin,
        ):
            found[-1] = Shift(last.person, last.start, finish, last.layer, last.override_id)
        else:
            found.append(Shift(holder.person, begin, finish, holder.layer, holder.override_id))
    return [shift for shift in found if shift.end > start and shift.start < end]


def next_change(
    schedule: Schedule,
    at: datetime,
    phases: Sequence[Phase],
    *,
    event_timezone: str,
    overrides: Sequence[OverrideWindow] = (),
    horizon: timedelta = timedelta(days=60),
) -> datetime | None:
    """The next instant after ``at`` at which the person on call changes (None within ``horizon``)."""
    at = at.astimezone(UTC)
    limit = at + horizon
    found = shifts(schedule, at, limit, phases, event_timezone=event_timezone, overrides=overrides)
    current = next((shift.person for shift in found if shift.start <= at < shift.end), None)
    cursor = at
    for shift in found:
        if shift.end <= at:
            continue
        if shift.start > cursor:  # nobody is on call from cursor: a change, either way
            return cursor if current is not None else shift.start
        if shift.person != current:
            return shift.start
        cursor = shift.end  # the same person on through another layer: no handoff
    return cursor if current is not None and cursor < limit else None
