"""Who is on call from a schedule's layers: rotations, layers, restrictions, phases, overrides and
daylight saving time, asserted at exact UTC instants."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from eventguard.oncall.rotation import OverrideWindow, Shift, next_change, on_call, shifts, to_instant
from eventguard.plans.schemas import Phase, Schedule


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


def layer(layer_id: str, members: list[str], **rotation: Any) -> dict[str, Any]:
    return {"id": layer_id, "members": members, "rotation": rotation}


def schedule(*layers: dict[str, Any], timezone: str = "Asia/Shanghai") -> Schedule:
    return Schedule.model_validate(
        {
            "id": "s",
            "name": {"zh-CN": "值班", "en": "On call"},
            "team": "tech",
            "timezone": timezone,
            "layers": list(layers),
        }
    )


def who(found: Schedule, at: datetime, phase: Any = None, **kwargs: Any) -> list[str]:
    return on_call(found, at, phase, event_timezone="UTC", **kwargs)


def windows(
    found: Schedule, start: datetime, end: datetime, **kwargs: Any
) -> list[tuple[str, datetime, datetime]]:
    kwargs.setdefault("phases", [])
    return [
        (shift.person, shift.start, shift.end)
        for shift in shifts(found, start, end, kwargs.pop("phases"), event_timezone="UTC", **kwargs)
    ]


WEEKLY = layer(
    "weekly",
    ["zhang", "chen", "zhao"],
    kind="weekly",
    handoff_day="monday",
    handoff="10:00",
    start="2026-04-27T10:00:00+08:00",
)


def test_a_weekly_rotation_hands_off_on_its_day_at_its_local_time_in_member_order() -> None:
    found = schedule(WEEKLY)
    # Monday 2026-05-04 10:00 in Shanghai is 02:00 UTC.
    assert who(found, utc(2026, 5, 4, 1, 59)) == ["zhang"]
    assert who(found, utc(2026, 5, 4, 2, 0)) == ["chen"]
    assert who(found, utc(2026, 5, 11, 2, 0)) == ["zhao"]
    assert who(found, utc(2026, 5, 18, 2, 0)) == ["zhang"]
    assert windows(found, utc(2026, 5, 4, 2), utc(2026, 5, 18, 2)) == [
        ("chen", utc(2026, 5, 4, 2), utc(2026, 5, 11, 2)),
        ("zhao", utc(2026, 5, 11, 2), utc(2026, 5, 18, 2)),
    ]


def test_a_daily_rotation_goes_round_the_members_every_day() -> None:
    found = schedule(layer("d", ["a", "b"], kind="daily", handoff="09:00", start="2026-05-01T09:00:00+08:00"))
    assert [who(found, utc(2026, 5, day, 1))[0] for day in range(1, 6)] == ["a", "b", "a", "b", "a"]


def test_the_first_member_holds_from_the_start_to_the_first_handoff() -> None:
    # Starting on a Wednesday afternoon: zhang is on call until Monday 10:00, then chen.
    started = layer(
        "w",
        ["zhang", "chen"],
        kind="weekly",
        handoff_day="monday",
        handoff="10:00",
        start="2026-04-29T15:00:00+08:00",
    )
    assert windows(schedule(started), utc(2026, 4, 29), utc(2026, 5, 5)) == [
        ("zhang", utc(2026, 4, 29, 7), utc(2026, 5, 4, 2)),
        ("chen", utc(2026, 5, 4, 2), utc(2026, 5, 11, 2)),
    ]


def test_nobody_is_on_call_before_the_rotation_starts() -> None:
    assert who(schedule(WEEKLY), utc(2026, 4, 27, 1, 59)) == []


def test_the_handoff_defaults_to_the_local_time_of_the_start() -> None:
    found = schedule(layer("d", ["a", "b"], kind="daily", start="2026-05-01T07:30:00+08:00"))
    assert who(found, utc(2026, 5, 1, 23, 29)) == ["a"]
    assert who(found, utc(2026, 5, 1, 23, 30)) == ["b"]


def test_a_custom_rotation_hands_off_every_length_from_its_handoff_time() -> None:
    found = schedule(
        layer(
            "twelve",
            ["a", "b", "c"],
            kind="custom",
            length="12h",
            handoff="08:00",
            start="2026-06-16T08:00:00+08:00",
        )
    )
    assert windows(found, utc(2026, 6, 16), utc(2026, 6, 17, 12)) == [
        ("a", utc(2026, 6, 16, 0), utc(2026, 6, 16, 12)),
        ("b", utc(2026, 6, 16, 12), utc(2026, 6, 17, 0)),
        ("c", utc(2026, 6, 17, 0), utc(2026, 6, 17, 12)),
    ]


def test_a_later_layer_sits_on_top_of_an_earlier_one() -> None:
    top = layer("top", ["x"], kind="daily", handoff="00:00", start="2026-05-10T00:00:00+08:00")
    found = schedule(WEEKLY, top)
    assert who(found, utc(2026, 5, 9, 15, 59)) == ["chen"]
    assert who(found, utc(2026, 5, 9, 16, 0)) == ["x"]
    assert [
        shift.layer for shift in shifts(found, utc(2026, 5, 9), utc(2026, 5, 10), [], event_timezone="UTC")
    ] == [
        "weekly",
        "top",
    ]


def test_outside_its_restrictions_a_layer_falls_through_to_the_layer_below() -> None:
    daytime = {
        **layer("day", ["x"], kind="daily", handoff="09:00", start="2026-05-01T09:00:00+08:00"),
        "restrictions": [{"days": ["mon", "tue", "wed", "thu", "fri"], "from": "09:00", "to": "18:00"}],
    }
    found = schedule(WEEKLY, daytime)
    # Wednesday 2026-05-06 in Shanghai: x from 09:00 to 18:00 (01:00-10:00 UTC), chen around it.
    assert windows(found, utc(2026, 5, 5, 20), utc(2026, 5, 6, 12)) == [
        ("chen", utc(2026, 5, 5, 10), utc(2026, 5, 6, 1)),  # from Tuesday 18:00
        ("x", utc(2026, 5, 6, 1), utc(2026, 5, 6, 10)),
        ("chen", utc(2026, 5, 6, 10), utc(2026, 5, 7, 1)),
    ]
    assert who(found, utc(2026, 5, 9, 3)) == ["chen"]  # Saturday: not a restricted day


def test_an_overnight_restriction_runs_past_midnight_from_the_days_it_starts_on() -> None:
    nights = {
        **layer("night", ["owl"], kind="daily", handoff="09:00", start="2026-05-01T09:00:00+08:00"),
        "restrictions": [{"days": ["fri"], "from": "22:00", "to": "06:00"}],
    }
    found = schedule(WEEKLY, nights)
    assert who(found, utc(2026, 5, 8, 13, 59)) == ["chen"]  # Friday 21:59
    assert who(found, utc(2026, 5, 8, 14, 0)) == ["owl"]  # Friday 22:00
    assert who(found, utc(2026, 5, 8, 21, 59)) == ["owl"]  # Saturday 05:59
    assert who(found, utc(2026, 5, 8, 22, 0)) == ["chen"]  # Saturday 06:00
    assert who(found, utc(2026, 5, 9, 14, 0)) == ["chen"]  # Saturday 22:00: not a start day


LIVE = [
    Phase(name="prep", start=utc(2026, 5, 1), end=utc(2026, 6, 16)),
    Phase(name="live", start=utc(2026, 6, 16), end=utc(2026, 6, 17, 12)),
]


def test_a_phase_limited_layer_applies_only_during_its_phases() -> None:
    live_only = {
        **layer("live", ["l1", "l2"], kind="custom", length="12h", start="2026-06-16T08:00:00+08:00"),
        "active_phases": ["live"],
    }
    found = schedule(WEEKLY, live_only)
    assert who(found, utc(2026, 6, 16, 3), "live") == ["l1"]
    assert who(found, utc(2026, 6, 16, 3), "prep") == ["chen"]
    assert windows(found, utc(2026, 6, 15, 12), utc(2026, 6, 18), phases=LIVE) == [
        ("chen", utc(2026, 6, 15, 2), utc(2026, 6, 16, 0)),
        ("l1", utc(2026, 6, 16, 0), utc(2026, 6, 16, 12)),
        ("l2", utc(2026, 6, 16, 12), utc(2026, 6, 17, 0)),
        ("l1", utc(2026, 6, 17, 0), utc(2026, 6, 17, 12)),
        ("chen", utc(2026, 6, 17, 12), utc(2026, 6, 22, 2)),
    ]


def test_overrides_win_over_every_layer_and_the_newest_one_wins_where_they_overlap() -> None:
    found = schedule(WEEKLY, layer("top", ["x"], kind="daily", start="2026-05-01T00:00:00+08:00"))
    older = OverrideWindow("o1", utc(2026, 5, 5, 0), utc(2026, 5, 5, 6), id=1)
    newer = OverrideWindow("o2", utc(2026, 5, 5, 4), utc(2026, 5, 5, 5), id=2)
    assert who(found, utc(2026, 5, 5, 3), overrides=[older, newer]) == ["o1"]
    assert who(found, utc(2026, 5, 5, 4, 30), overrides=[older, newer]) == ["o2"]
    found_shifts = shifts(
        found, utc(2026, 5, 5), utc(2026, 5, 5, 6), [], event_timezone="UTC", overrides=[older, newer]
    )
    assert found_shifts == [
        Shift("o1", utc(2026, 5, 5, 0), utc(2026, 5, 5, 4), "override", 1),
        Shift("o2", utc(2026, 5, 5, 4), utc(2026, 5, 5, 5), "override", 2),
        Shift("o1", utc(2026, 5, 5, 5), utc(2026, 5, 5, 6), "override", 1),
    ]


def test_shifts_keep_their_own_start_and_end_when_the_window_cuts_them() -> None:
    found = schedule(WEEKLY)
    assert windows(found, utc(2026, 5, 6), utc(2026, 5, 7)) == [
        ("chen", utc(2026, 5, 4, 2), utc(2026, 5, 11, 2))
    ]


def test_the_next_change_is_the_next_handoff_to_someone_else() -> None:
    found = schedule(
        WEEKLY, layer("same", ["chen"], kind="daily", handoff="10:00", start="2026-05-05T10:00:00+08:00")
    )
    # chen holds through the weekly layer and then the one on top: no handoff until chen leaves.
    assert next_change(found, utc(2026, 5, 4, 3), [], event_timezone="UTC") is None
    assert next_change(schedule(WEEKLY), utc(2026, 5, 4, 3), [], event_timezone="UTC") == utc(2026, 5, 11, 2)
    assert next_change(schedule(WEEKLY), utc(2026, 4, 1), [], event_timezone="UTC") == utc(2026, 4, 27, 2)


# -- Daylight saving time: handoffs keep their local time; exact UTC instants.

BERLIN_DAILY = layer("d", ["a", "b", "c"], kind="daily", handoff="10:00", start="2026-03-27T10:00:00+01:00")


def test_a_berlin_daily_handoff_stays_at_10_local_across_the_spring_change() -> None:
    found = schedule(BERLIN_DAILY, timezone="Europe/Berlin")
    # 2026-03-29 02:00 CET -> 03:00 CEST. 10:00 is 09:00 UTC before, 08:00 UTC after.
    assert windows(found, utc(2026, 3, 27, 9), utc(2026, 3, 30, 8)) == [
        ("a", utc(2026, 3, 27, 9), utc(2026, 3, 28, 9)),
        ("b", utc(2026, 3, 28, 9), utc(2026, 3, 29, 8)),  # 23 hours
        ("c", utc(2026, 3, 29, 8), utc(2026, 3, 30, 8)),
    ]


def test_a_berlin_daily_handoff_stays_at_10_local_across_the_autumn_change() -> None:
    found = schedule(BERLIN_DAILY, timezone="Europe/Berlin")
    # 2026-10-25 03:00 CEST -> 02:00 CET. 10:00 is 08:00 UTC before, 09:00 UTC after.
    found_shifts = shifts(found, utc(2026, 10, 24, 8), utc(2026, 10, 26, 9), [], event_timezone="UTC")
    assert [(s.start, s.end) for s in found_shifts] == [
        (utc(2026, 10, 24, 8), utc(2026, 10, 25, 9)),  # 25 hours
        (utc(2026, 10, 25, 9), utc(2026, 10, 26, 9)),
    ]
    assert found_shifts[0].end - found_shifts[0].start == timedelta(hours=25)


def test_a_new_york_weekly_handoff_keeps_its_local_time_across_both_changes() -> None:
    weekly = layer(
        "w",
        ["a", "b"],
        kind="weekly",
        handoff_day="friday",
        handoff="17:00",
        start="2026-03-06T17:00:00-05:00",
    )
    found = schedule(weekly, timezone="America/New_York")
    # 2026-03-08 spring forward: Friday 17:00 EST is 22:00 UTC, 17:00 EDT is 21:00 UTC.
    assert windows(found, utc(2026, 3, 6, 22), utc(2026, 3, 13, 22)) == [
        ("a", utc(2026, 3, 6, 22), utc(2026, 3, 13, 21)),
        ("b", utc(2026, 3, 13, 21), utc(2026, 3, 20, 21)),
    ]
    # 2026-11-01 fall back: from 21:00 UTC on Friday 2026-10-30 to 22:00 UTC on Friday 2026-11-06.
    autumn = windows(found, utc(2026, 11, 1), utc(2026, 11, 2))
    assert [(start, end) for _, start, end in autumn] == [(utc(2026, 10, 30, 21), utc(2026, 11, 6, 22))]


def test_a_handoff_at_a_time_the_spring_change_skips_happens_as_late_as_the_gap() -> None:
    found = schedule(
        layer("d", ["a", "b"], kind="daily", handoff="02:30", start="2026-03-27T02:30:00+01:00"),
        timezone="Europe/Berlin",
    )
    # 02:30 does not exist on 2026-03-29: read as CET, it is 01:30 UTC (03:30 CEST).
    assert to_instant(datetime(2026, 3, 29, 2, 30), ZoneInfo("Europe/Berlin")) == utc(2026, 3, 29, 1, 30)
    assert [start for _, start, _ in windows(found, utc(2026, 3, 28, 2), utc(2026, 3, 31))] == [
        utc(2026, 3, 28, 1, 30),
        utc(2026, 3, 29, 1, 30),
        utc(2026, 3, 30, 0, 30),
    ]


def test_a_handoff_at_a_time_the_autumn_change_repeats_happens_the_first_time() -> None:
    berlin = schedule(
        layer("d", ["a", "b"], kind="daily", handoff="02:30", start="2026-10-23T02:30:00+02:00"),
        timezone="Europe/Berlin",
    )
    # 02:30 happens twice on 2026-10-25; the first time is still CEST: 00:30 UTC.
    assert who(berlin, utc(2026, 10, 25, 0, 29)) == ["b"]
    assert who(berlin, utc(2026, 10, 25, 0, 30)) == ["a"]
    new_york = schedule(
        layer("d", ["a", "b"], kind="daily", handoff="01:30", start="2026-10-30T01:30:00-04:00"),
        timezone="America/New_York",
    )
    # 01:30 happens twice on 2026-11-01; the first time is EDT: 05:30 UTC (not 06:30).
    assert [start for _, start, _ in windows(new_york, utc(2026, 10, 31, 6), utc(2026, 11, 2, 7))] == [
        utc(2026, 10, 31, 5, 30),
        utc(2026, 11, 1, 5, 30),
        utc(2026, 11, 2, 6, 30),
    ]


def test_an_hourly_turn_that_the_spring_gap_swallows_is_empty_and_nothing_overlaps() -> None:
    found = schedule(
        layer("h", ["a", "b", "c"], kind="custom", length="1h", start="2026-03-29T00:00:00+01:00"),
        timezone="Europe/Berlin",
    )
    found_shifts = windows(found, utc(2026, 3, 28, 23), utc(2026, 3, 29, 3))
    # Local 00:00, 01:00, [02:00 does not exist], 03:00, 04:00: c's turn at 02:00 lasts no time.
    assert found_shifts == [
        ("a", utc(2026, 3, 28, 23), utc(2026, 3, 29, 0)),
        ("b", utc(2026, 3, 29, 0), utc(2026, 3, 29, 1)),
        ("a", utc(2026, 3, 29, 1), utc(2026, 3, 29, 2)),
        ("b", utc(2026, 3, 29, 2), utc(2026, 3, 29, 3)),
    ]
    assert all(end > start for _, start, end in found_shifts)
