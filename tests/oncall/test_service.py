"""On-call against the database: teams resolved through schedules, overrides (audited), feed tokens."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.orm import Session

from eventguard.audit.service import Actor, list_entries
from eventguard.clock import FrozenClock
from eventguard.config import Settings
from eventguard.errors import Forbidden, InvalidInput, NotFound
from eventguard.events.models import Event
from eventguard.notify.planner import on_call_lookup
from eventguard.oncall import service
from eventguard.plans import service as plans
from eventguard.plans.schemas import PlanSpec
from tests.conftest import LIVE_MOMENT

ACTOR = Actor.cli("test")


def spec_of(db: Session, event: Event) -> PlanSpec:
    return plans.get_active_plan(db=db, event_id=event.id)


def override(
    db: Session, event: Event, clock: FrozenClock, person: str, start: datetime, hours: int = 4
) -> int:
    made = service.create_override(
        db=db,
        event_id=event.id,
        spec=spec_of(db, event),
        schedule_id="tech-oncall",
        person_id=person,
        start=start,
        end=start + timedelta(hours=hours),
        reason="swap",
        actor=ACTOR,
        clock=clock,
    )
    db.commit()
    return made.id


def team(db: Session, event: Event, team_id: str, at: datetime) -> service.TeamOnCall:
    return service.team_on_call(db=db, event_id=event.id, spec=spec_of(db, event), team_id=team_id, at=at)


def test_a_team_with_a_schedule_gets_whoever_is_on_call(
    db: Session, event: Event, clock: FrozenClock
) -> None:
    now = clock.now()  # Wednesday 2026-05-20 09:00 in Shanghai
    assert team(db, event, "tech", now) == service.TeamOnCall(
        "tech", "tech-oncall", ["zhang-wei"], "schedule"
    )
    next_week = now + timedelta(days=7)
    assert team(db, event, "tech", next_week).people == ["chen-jie"]
    assert team(db, event, "ops", now).people == ["wang-qiang"]
    assert team(db, event, "ops", now + timedelta(days=1)).people == ["emily-carter"]


def test_during_the_live_phase_the_live_days_layer_decides(db: Session, event: Event) -> None:
    assert team(db, event, "tech", LIVE_MOMENT).people == ["zhang-wei"]  # 12:00 on day one
    assert team(db, event, "tech", LIVE_MOMENT + timedelta(hours=8)).people == ["chen-jie"]  # 20:00
    assert team(db, event, "tech", LIVE_MOMENT + timedelta(hours=20)).people == ["zhao-min"]  # 08:00 day two


def test_a_team_without_a_schedule_or_with_nobody_on_it_gets_its_lead(
    db: Session, event: Event, clock: FrozenClock
) -> None:
    assert team(db, event, "pr", clock.now()) == service.TeamOnCall("pr", None, ["zhou-ting"], "lead")
    night = datetime(2026, 5, 20, 15, 0, tzinfo=UTC)  # 23:00 in Shanghai: outside service hours
    assert team(db, event, "customer-service", night) == service.TeamOnCall(
        "customer-service", "customer-service-oncall", ["liu-yang"], "lead"
    )
    assert team(db, event, "no-such-team", night) == service.TeamOnCall("no-such-team", None, [], "nobody")


def test_an_override_wins_over_every_layer_for_its_window_and_is_audited(
    db: Session, event: Event, clock: FrozenClock
) -> None:
    start = clock.now() + timedelta(hours=1)
    override_id = override(db, event, clock, "zhao-min", start)
    assert team(db, event, "tech", start) == service.TeamOnCall(
        "tech", "tech-oncall", ["zhao-min"], "override"
    )
    assert team(db, event, "tech", start + timedelta(hours=4)).people == ["zhang-wei"]
    [entry] = list_entries(db=db, action="oncall.override.create")
    assert entry.target_id == str(override_id) and entry.after is not None
    assert entry.after["person"] == "zhao-min" and entry.after["schedule"] == "tech-oncall"


def test_the_notification_worker_reaches_the_person_on_call(
    db: Session, event: Event, clock: FrozenClock
) -> None:
    override(db, event, clock, "chen-jie", clock.now() - timedelta(minutes=5))
    spec = spec_of(db, event)
    lookup = on_call_lookup(db=db, event_id=event.id, spec=spec, at=clock.now())
    assert lookup("tech") == ["chen-jie"]
    assert lookup("pr") == ["zhou-ting"]
    people = service.on_call_for_team(db=db, event_id=event.id, spec=spec, team_id="ops", at=clock.now())
    assert people == ["wang-qiang"]


def test_deleting_an_override_gives_the_window_back_to_the_layers(
    db: Session, event: Event, clock: FrozenClock
) -> None:
    override_id = override(db, event, clock, "zhao-min", clock.now())
    found = service.get_override(db=db, override_id=override_id, event_id=event.id, schedule_id="tech-oncall")
    service.delete_override(db=db, override=found, actor=ACTOR, clock=clock)
    db.commit()
    assert team(db, event, "tech", clock.now()).people == ["zhang-wei"]
    [entry] = list_entries(db=db, action="oncall.override.delete")
    assert entry.before is not None and entry.before["person"] == "zhao-min"
    with pytest.raises(NotFound):
        service.get_override(db=db, override_id=override_id)


@pytest.mark.parametrize(
    ("person", "start", "end", "code"),
    [
        ("zhao-min", "2026-05-21T10:00:00+08:00", "2026-05-21T09:00:00+08:00", "override_reversed"),
        ("zhao-min", "2026-05-19T10:00:00+08:00", "2026-05-19T12:00:00+08:00", "override_in_the_past"),
        ("zhao-min", "2026-05-21T10:00:00", "2026-05-21T12:00:00", "naive_datetime"),
        ("nobody", "2026-05-21T10:00:00+08:00", "2026-05-21T12:00:00+08:00", "person_not_found"),
    ],
)
def test_an_override_that_makes_no_sense_is_refused(
    db: Session, event: Event, clock: FrozenClock, person: str, start: str, end: str, code: str
) -> None:
    with pytest.raises(InvalidInput) as caught:
        service.create_override(
            db=db,
            event_id=event.id,
            spec=spec_of(db, event),
            schedule_id="tech-oncall",
            person_id=person,
            start=datetime.fromisoformat(start),
            end=datetime.fromisoformat(end),
            reason=None,
            actor=ACTOR,
            clock=clock,
        )
    assert caught.value.code == code
    assert service.list_overrides(db=db, event_id=event.id) == []


def test_an_override_of_an_unknown_schedule_is_not_found(
    db: Session, event: Event, clock: FrozenClock
) -> None:
    with pytest.raises(NotFound) as caught:
        service.create_override(
            db=db,
            event_id=event.id,
            spec=spec_of(db, event),
            schedule_id="pr-oncall",
            person_id="zhou-ting",
            start=clock.now(),
            end=clock.now() + timedelta(hours=1),
            reason=None,
            actor=ACTOR,
            clock=clock,
        )
    assert caught.value.code == "schedule_not_found"


def test_list_overrides_returns_those_overlapping_the_window_by_start(
    db: Session, event: Event, clock: FrozenClock
) -> None:
    later = override(db, event, clock, "chen-jie", clock.now() + timedelta(days=2))
    sooner = override(db, event, clock, "zhao-min", clock.now() + timedelta(hours=1))
    rows = service.list_overrides(db=db, event_id=event.id, schedule_id="tech-oncall")
    assert [row.id for row in rows] == [sooner, later]
    window = service.list_overrides(
        db=db, event_id=event.id, since=clock.now() + timedelta(days=1), until=clock.now() + timedelta(days=3)
    )
    assert [row.id for row in window] == [later]


def test_a_person_s_shifts_cover_every_schedule_they_are_on(db: Session, event: Event) -> None:
    start = LIVE_MOMENT - timedelta(days=10)  # zhang-wei had the week of 8 June
    found = service.person_shifts(
        db=db, event_id=event.id, spec=spec_of(db, event), person_id="zhang-wei", start=start, end=LIVE_MOMENT
    )
    assert {(schedule.id, shift.layer) for schedule, shift in found} == {
        ("tech-oncall", "weekly"),
        ("tech-oncall", "live-days"),
    }
    assert all(shift.person == "zhang-wei" for _, shift in found)
    with pytest.raises(NotFound):
        service.person_shifts(
            db=db, event_id=event.id, spec=spec_of(db, event), person_id="x", start=start, end=LIVE_MOMENT
        )


def test_a_feed_token_opens_exactly_its_own_feed() -> None:
    settings = Settings(database_url="sqlite://", secret_key="one-secret-key")
    token = service.feed_token(settings=settings, slug="summit", kind="schedules", item_id="tech-oncall")
    service.check_feed_token(
        settings=settings, token=token, slug="summit", kind="schedules", item_id="tech-oncall"
    )
    for slug, kind, item in [
        ("summit", "schedules", "ops-oncall"),
        ("summit", "people", "tech-oncall"),
        ("other", "schedules", "tech-oncall"),
    ]:
        with pytest.raises(Forbidden):
            service.check_feed_token(settings=settings, token=token, slug=slug, kind=kind, item_id=item)  # type: ignore[arg-type]
    rotated = Settings(database_url="sqlite://", secret_key="a-new-secret-key")
    with pytest.raises(Forbidden) as caught:
        service.check_feed_token(
            settings=rotated, token=token, slug="summit", kind="schedules", item_id="tech-oncall"
        )
    assert caught.value.code == "feed_token_invalid"
