"""When a maintenance window is on, every time answered in UTC: once, or every day or week at the
same local wall time in its time zone (a weekly 01:00 window stays at 01:00 local across a DST
change; its UTC time moves). A local start skipped by a DST change is read with the offset before it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

Repeat = Literal["once", "daily", "weekly"]
STEPS: dict[str, timedelta] = {"daily": timedelta(days=1), "weekly": timedelta(weeks=1)}


@dataclass(frozen=True)
class Recurrence:
    start: datetime  # aware: the first occurrence
    duration: timedelta
    repeat: Repeat
    timezone: str
    until: datetime | None = None  # no occurrence starts at or after it

    def _start_of(self, n: int) -> datetime:
        tz = ZoneInfo(self.timezone)
        wall = self.start.astimezone(tz).replace(tzinfo=None) + STEPS[self.repeat] * n
        return wall.replace(tzinfo=tz).astimezone(UTC)

    def _valid(self, start: datetime) -> bool:
        return self.until is None or start < self.until

    def covering(self, at: datetime) -> datetime | None:
        """The start of the occurrence that is on at ``at``, or None."""
        if self.repeat == "once":
            on = self.start <= at < self.start + self.duration
            return self.start.astimezone(UTC) if on else None
        step = STEPS[self.repeat]
        tz = ZoneInfo(self.timezone)
        wall_at = at.astimezone(tz).replace(tzinfo=None)
        wall_start = self.start.astimezone(tz).replace(tzinfo=None)
        latest = (wall_at - wall_start) // step
        back = int(self.duration // step) + 1
        for n in range(latest + 1, latest - back - 1, -1):
            if n < 0:
                break
            start = self._start_of(n)
            if start <= at < start + self.duration and self._valid(start):
                return start
        return None

    def next_start(self, after: datetime) -> datetime | None:
        """The first occurrence starting at or after ``after``, or None."""
        if self.repeat == "once" or after <= self.start:
            return self.start.astimezone(UTC) if self.start >= after and self._valid(self.start) else None
        tz = ZoneInfo(self.timezone)
        wall = after.astimezone(tz).replace(tzinfo=None) - self.start.astimezone(tz).replace(tzinfo=None)
        n = max(0, wall // STEPS[self.repeat] - 1)
        for candidate in range(n, n + 4):
            start = self._start_of(candidate)
            if start >= after:
                return start if self._valid(start) else None
        return None
