"""Maintenance window occurrences in the event's time zone: once, daily, weekly, across DST changes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from eventguard.noise.windows import Recurrence

BERLIN = "Europe/Berlin"  # CET (UTC+1) until 2026-03-29 01:00 UTC, CEST (UTC+2) after


def _utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def test_a_weekly_window_keeps_its_local_time_across_the_spring_dst_change() -> None:
    # Saturdays 01:00-03:00 Berlin time, first on 2026-03-21 (00:00 UTC in winter time).
    weekly = Recurrence(
        start=_utc(2026, 3, 21, 0, 0), duration=timedelta(hours=2), repeat="weekly", timezone=BERLIN
    )
    assert weekly.covering(_utc(2026, 3, 21, 1, 30)) == _utc(2026, 3, 21, 0, 0)
    # The next Saturday is 2026-03-28, still winter: 00:00 UTC.
    assert weekly.covering(_utc(2026, 3, 28, 0, 10)) == _utc(2026, 3, 28, 0, 0)
    # After the change (2026-03-29) 01:00 Berlin is 23:00 UTC the day before.
    assert weekly.covering(_utc(2026, 4, 3, 23, 30)) == _utc(2026, 4, 3, 23, 0)
    assert weekly.covering(_utc(2026, 4, 4, 1, 30)) is None  # the old UTC hours are no longer covered
    assert weekly.covering(_utc(2026, 4, 4, 0, 59)) == _utc(2026, 4, 3, 23, 0)
    assert weekly.next_start(_utc(2026, 3, 29, 12, 0)) == _utc(2026, 4, 3, 23, 0)


def test_a_weekly_window_across_the_autumn_change_and_on_other_days() -> None:
    weekly = Recurrence(
        start=_utc(2026, 10, 17, 23, 0), duration=timedelta(hours=2), repeat="weekly", timezone=BERLIN
    )
    assert weekly.covering(_utc(2026, 10, 17, 23, 30)) is not None  # 01:30 CEST on Sunday 18th
    # Sunday 25th, 01:00 is still summer time (the change is at 03:00 local): 23:00 UTC the day before.
    assert weekly.covering(_utc(2026, 10, 24, 23, 30)) == _utc(2026, 10, 24, 23, 0)
    # Sunday 1 November, 01:00 is winter time now: 00:00 UTC; the summer UTC hour is not covered.
    assert weekly.covering(_utc(2026, 11, 1, 0, 30)) == _utc(2026, 11, 1, 0, 0)
    assert weekly.covering(_utc(2026, 10, 31, 23, 30)) is None
    assert weekly.covering(_utc(2026, 10, 21, 0, 30)) is None  # a Wednesday


def test_daily_once_and_until() -> None:
    daily = Recurrence(
        start=_utc(2026, 6, 1, 16, 0),  # midnight in Shanghai
        duration=timedelta(minutes=30),
        repeat="daily",
        timezone="Asia/Shanghai",
        until=_utc(2026, 6, 4, 0, 0),
    )
    assert daily.covering(_utc(2026, 6, 2, 16, 29)) == _utc(2026, 6, 2, 16, 0)
    assert daily.covering(_utc(2026, 6, 2, 16, 30)) is None  # the end is exclusive
    assert daily.covering(_utc(2026, 6, 1, 15, 59)) is None  # before the first
    assert daily.covering(_utc(2026, 6, 4, 16, 5)) is None  # after until
    assert daily.next_start(_utc(2026, 6, 3, 17, 0)) is None
    once = Recurrence(
        start=_utc(2026, 6, 1, 0, 0), duration=timedelta(hours=1), repeat="once", timezone=BERLIN
    )
    assert once.covering(_utc(2026, 6, 1, 0, 59)) == _utc(2026, 6, 1, 0, 0)
    assert once.covering(_utc(2026, 6, 8, 0, 30)) is None


def test_a_window_longer_than_a_day_spans_midnight() -> None:
    daily = Recurrence(
        start=_utc(2026, 6, 1, 22, 0), duration=timedelta(hours=20), repeat="daily", timezone=BERLIN
    )
    assert daily.covering(_utc(2026, 6, 3, 17, 0)) == _utc(2026, 6, 2, 22, 0)
