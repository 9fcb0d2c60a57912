"""MTTA, MTTR, SLA met %, breakdowns, drill scores and action items equal the values computed by
hand from the seeded rows (tests/analytics/seed.py), at a fixed "now", on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.orm import Session

from eventguard.analytics import service
from eventguard.events.models import Event
from tests.analytics.seed import NOW, seed


def test_mtta_and_mttr_of_one_event_leave_out_drills_merged_and_other_events(
    db: Session, event: Event
) -> None:
    seed(db, event)
    times = service.response_times(service.incident_times(db=db, scope=service.Scope(event_id=event.id)))
    # acknowledged: 120 s, 360 s, 60 s (the level 3 one is not); resolved: 1800 s, 5400 s
    assert (times.incidents, times.acknowledged, times.resolved) == (4, 3, 2)
    assert times.mtta_seconds == (120 + 360 + 60) / 3 == 180
    assert times.median_tta_seconds == 120
    assert times.mttr_seconds == (1800 + 5400) / 2 == 3600
    assert times.median_ttr_seconds == 3600


def test_across_events_the_other_event_counts_too(db: Session, event: Event) -> None:
    seed(db, event)
    times = service.response_times(service.incident_times(db=db, scope=service.Scope()))
    assert times.mtta_seconds == (120 + 360 + 60 + 300) / 4 == 210
    assert times.mttr_seconds == (1800 + 5400 + 600) / 3 == 2600


def test_drills_are_counted_on_their_own(db: Session, event: Event) -> None:
    seed(db, event)
    times = service.response_times(service.incident_times(db=db, scope=service.Scope(drills=True)))
    assert (times.incidents, times.mtta_seconds, times.mttr_seconds) == (1, 600, 1200)


def test_sla_met_percent_per_role_and_level(db: Session, event: Event) -> None:
    seed(db, event)
    overall, groups = service.sla(service.sla_rows(db=db, scope=service.Scope(event_id=event.id)), NOW)
    # met: A tech, B tech; breached: A comms (late), B comms, C tech (deadline passed); pending: D tech
    assert (overall.met, overall.breached, overall.pending) == (2, 3, 1)
    assert overall.met_percent == 40.0
    by_key = {(g.level, g.target): g for g in groups}
    assert list(by_key) == [
        (1, "team:comms"),
        (1, "team:tech:lead"),
        (2, "team:comms"),
        (2, "team:tech:lead"),
        (3, "team:tech:lead"),
    ]
    assert by_key[(1, "team:tech:lead")].met_percent == 100.0
    assert by_key[(1, "team:comms")].met_percent == 0.0
    assert by_key[(1, "team:comms")].mean_first_seconds == 400
    assert by_key[(2, "team:tech:lead")].met_percent == 50.0
    assert by_key[(2, "team:tech:lead")].mean_first_seconds == 240
    assert by_key[(3, "team:tech:lead")].met_percent is None
    assert by_key[(3, "team:tech:lead")].pending == 1
    assert all(g.notify_within_seconds == 300 for g in groups)


def test_a_pending_row_becomes_breached_when_its_deadline_passes(db: Session, event: Event) -> None:
    seed(db, event)
    later = datetime(2026, 6, 16, 7, 6, tzinfo=UTC)
    overall, _groups = service.sla(service.sla_rows(db=db, scope=service.Scope(event_id=event.id)), later)
    assert (overall.met, overall.breached, overall.pending, overall.met_percent) == (2, 4, 0, 33.3)


def test_incidents_by_level_scenario_phase_and_hour_in_the_event_time_zone(db: Session, event: Event) -> None:
    seed(db, event)
    found = service.incident_times(db=db, scope=service.Scope(event_id=event.id))
    as_dict = {by: {b.key: b.count for b in service.breakdown(found, by)} for by in service.BREAKDOWNS}
    assert as_dict["level"] == {"1": 1, "2": 2, "3": 1}
    assert as_dict["scenario"] == {"payment-failure": 2, "stream-down": 1, "—": 1}
    assert as_dict["phase"] == {"live": 3, "prep": 1}
    hours = {hour: count for hour, count in as_dict["hour"].items() if count}
    assert hours == {"10": 1, "14": 1, "15": 1, "21": 1}  # Asia/Shanghai: UTC+8
    assert len(as_dict["hour"]) == 24


def test_a_date_window_bounds_the_incidents(db: Session, event: Event) -> None:
    seed(db, event)
    scope = service.Scope(event_id=event.id, since=datetime(2026, 6, 16, tzinfo=UTC))
    assert [i.level for i in service.incident_times(db=db, scope=scope)] == [1, 2, 3]


def test_drill_scores_over_time_and_action_items(db: Session, event: Event) -> None:
    seed(db, event)
    scope = service.Scope(event_id=event.id)
    assert [(d.score, d.passed) for d in service.drill_scores(db=db, scope=scope)] == [
        (60, False),
        (85, True),
    ]
    items = service.action_items(db=db, scope=scope, now=NOW)
    assert (items.open, items.overdue, items.done) == (2, 1, 1)
    assert [(t.team, t.open, t.overdue, t.done) for t in items.teams] == [
        ("comms", 0, 0, 1),
        ("tech", 2, 1, 0),
    ]
    everywhere = service.action_items(db=db, scope=service.Scope(), now=NOW)
    assert (everywhere.open, everywhere.overdue) == (3, 2)


def test_nothing_yet_gives_empty_figures_not_errors(db: Session, event: Event) -> None:
    found = service.analyse(db=db, scope=service.Scope(event_id=event.id), now=NOW)
    assert found.response.mtta_seconds is None and found.sla_overall.met_percent is None
    assert found.drills == [] and found.action_items.open == 0


def test_events_side_by_side(db: Session, event: Event) -> None:
    seed(db, event)
    found = service.analyse(db=db, scope=service.Scope(), now=NOW)
    by_event = {e.event: e for e in found.events}
    assert list(by_event) == ["cloud-summit-2026", "other-launch"]
    assert by_event["cloud-summit-2026"].response.mtta_seconds == 180
    assert by_event["cloud-summit-2026"].sla.met_percent == 40.0
    assert (by_event["other-launch"].response.mtta_seconds, by_event["other-launch"].sla.met_percent) == (
        300,
        100.0,
    )
