"""Plan versions on both databases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.orm import Session

from eventguard.audit.service import Actor, list_entries
from eventguard.clock import FrozenClock
from eventguard.errors import NotFound
from eventguard.events import service as events
from eventguard.plans import service
from eventguard.plans.issues import PlanInvalid
from tests.conftest import EXAMPLE_PLAN
from tests.plans.helpers import edit, line_of

ACTOR = Actor(type="cli", name="ops-lead")


def _apply(db: Session, clock: FrozenClock, source: str, comment: str | None = None) -> int:
    version = service.apply_plan(
        db=db, source=source, filename="plan.yaml", actor=ACTOR, clock=clock, comment=comment
    )
    db.commit()
    return version.number


def test_applying_a_plan_creates_the_event_and_version_1(
    db: Session, clock: FrozenClock, example_source: str
) -> None:
    version = service.apply_plan(
        db=db, source=example_source, filename=str(EXAMPLE_PLAN), actor=ACTOR, clock=clock, comment="first"
    )
    db.commit()
    event = events.get_by_slug(db=db, slug="cloud-summit-2026")
    assert (event.name, event.timezone) == ("2026 云上开发者大会", "Asia/Shanghai")
    assert (version.number, version.author_name, version.comment, version.created_at) == (
        1,
        "ops-lead",
        "first",
        clock.now(),
    )
    assert version.source == example_source
    assert version.spec["event"]["slug"] == "cloud-summit-2026"
    [entry] = list_entries(db=db, action="plan.apply")
    assert (entry.target_id, entry.after) == (
        "cloud-summit-2026",
        {"version": 1, "checksum": version.checksum, "comment": "first"},
    )


def test_applying_the_same_plan_again_creates_no_version(
    db: Session, clock: FrozenClock, example_source: str
) -> None:
    assert _apply(db, clock, example_source) == 1
    clock.advance(timedelta(minutes=1))
    reformatted = edit(example_source, "  group_by: [alertname]\n", "  group_by:\n    - alertname\n")
    assert _apply(db, clock, reformatted) == 1
    assert len(service.list_versions(db=db, slug="cloud-summit-2026")) == 1
    assert len(list_entries(db=db, action="plan.apply")) == 1


def test_a_changed_plan_becomes_the_next_version_and_the_one_in_force(
    db: Session, clock: FrozenClock, example_source: str
) -> None:
    assert _apply(db, clock, example_source) == 1
    clock.advance(timedelta(hours=1))
    changed = edit(example_source, "    quiet_period: 30m\n", "    quiet_period: 1h\n")
    assert _apply(db, clock, changed, comment="longer quiet period") == 2
    assert [v.number for v in service.list_versions(db=db, slug="cloud-summit-2026")] == [2, 1]
    event = events.get_by_slug(db=db, slug="cloud-summit-2026")
    level_3 = service.get_active_plan(db=db, event_id=event.id).level(3)
    assert level_3 is not None and level_3.quiet_period == timedelta(hours=1)
    assert service.newest_number(db=db, slug="cloud-summit-2026") == 2
    # Going back means applying the old plan again: a new, newest version.
    assert _apply(db, clock, example_source) == 3


def test_an_invalid_plan_is_refused_with_every_error_and_stores_nothing(
    db: Session, clock: FrozenClock, example_source: str
) -> None:
    source = edit(example_source, "        owner: vendor-cdn\n", "        owner: vendr-cdn\n")
    source = edit(source, "    notify_within: 5m\n", "    notify_within: soon\n")
    with pytest.raises(PlanInvalid) as info:
        service.apply_plan(db=db, source=source, filename="bad.yaml", actor=ACTOR, clock=clock)
    error = info.value
    assert (error.status_code, error.code, error.message) == (422, "plan_invalid", "The plan has 2 error(s).")
    assert error.render("zh-CN") == "预案有 2 个错误。"
    assert [(d["file"], d["line"], d["code"]) for d in error.details] == [
        ("bad.yaml", line_of(source, "notify_within: soon"), "invalid_duration"),
        ("bad.yaml", line_of(source, "vendr-cdn"), "unknown_team"),
    ]
    assert events.find_by_slug(db=db, slug="cloud-summit-2026") is None


def test_it_exports_a_version_that_applies_as_the_same_version(
    db: Session, clock: FrozenClock, example_source: str
) -> None:
    _apply(db, clock, example_source)
    exported = service.export_yaml(db=db, slug="cloud-summit-2026")
    result = service.validate_source(source=exported, filename="exported.yaml")
    assert result.spec == service.validate_source(source=example_source, filename="x.yaml").spec
    assert _apply(db, clock, exported) == 1


def test_it_compares_two_versions(db: Session, clock: FrozenClock, example_source: str) -> None:
    _apply(db, clock, example_source)
    _apply(
        db,
        clock,
        edit(
            example_source,
            "    likelihood: 3\n    impact: 4\n    owner: tech\n",
            "    likelihood: 4\n    impact: 4\n    owner: tech\n",
        ),
    )
    diff = service.diff_versions(db=db, slug="cloud-summit-2026", a=1, b=2)
    assert [(c.path, c.before, c.after) for c in diff.changes] == [
        ("risks[av-interruption].likelihood", 3, 4)
    ]
    assert "--- cloud-summit-2026@v1\n+++ cloud-summit-2026@v2\n" in diff.text


def test_it_answers_not_found_for_a_missing_event_or_version(
    db: Session, clock: FrozenClock, example_source: str
) -> None:
    with pytest.raises(NotFound):
        service.list_versions(db=db, slug="nope")
    _apply(db, clock, example_source)
    with pytest.raises(NotFound) as info:
        service.get_version(db=db, slug="cloud-summit-2026", number=7)
    assert info.value.code == "plan_version_not_found"
    assert service.newest_number(db=db, slug="nope") is None


def test_get_active_plan_reuses_the_parsed_plan(db: Session, clock: FrozenClock, example_source: str) -> None:
    _apply(db, clock, example_source)
    event = events.get_by_slug(db=db, slug="cloud-summit-2026")
    first = service.get_active_plan(db=db, event_id=event.id)
    assert service.get_active_plan(db=db, event_id=event.id) is first
    assert first.event.slug == "cloud-summit-2026"


def test_get_active_plan_of_an_event_without_plan_is_not_found(db: Session, clock: FrozenClock) -> None:
    event = events.upsert(db=db, slug="bare", name="Bare", timezone="UTC", clock=clock)
    with pytest.raises(NotFound) as info:
        service.get_active_plan(db=db, event_id=event.id)
    assert info.value.code == "plan_not_found"


def test_two_factor_roles_come_from_the_plans_in_force(
    db: Session, clock: FrozenClock, example_source: str
) -> None:
    assert service.two_factor_roles(db=db) == set()
    _apply(db, clock, example_source)
    assert service.two_factor_roles(db=db) == {"commander", "admin"}
    _apply(
        db,
        clock,
        edit(example_source, "  require_2fa_for: [commander, admin]\n", "  require_2fa_for: [admin]\n"),
    )
    other = edit(example_source, "  slug: cloud-summit-2026\n", "  slug: other-event\n")
    _apply(
        db, clock, edit(other, "  require_2fa_for: [commander, admin]\n", "  require_2fa_for: [responder]\n")
    )
    assert service.two_factor_roles(db=db) == {"admin", "responder"}


@pytest.mark.parametrize(
    ("moment", "phase"),
    [
        (datetime(2026, 5, 20, 1, 0, tzinfo=UTC), "prep"),
        (datetime(2026, 6, 16, 0, 0, tzinfo=UTC), "live"),  # 08:00 in Shanghai: the live phase starts
        (datetime(2026, 6, 17, 12, 0, tzinfo=UTC), "post"),
        (datetime(2026, 8, 1, tzinfo=UTC), None),
    ],
)
def test_current_phase_is_the_window_that_holds_the_moment(
    example_source: str, moment: datetime, phase: str | None
) -> None:
    spec = service.validate_source(source=example_source, filename="x.yaml").spec
    assert spec is not None
    assert service.current_phase(spec=spec, at=moment) == phase


def test_the_newest_version_of_an_event_without_plan_is_not_found(db: Session, clock: FrozenClock) -> None:
    events.upsert(db=db, slug="bare", name="Bare", timezone="UTC", clock=clock)
    with pytest.raises(NotFound) as info:
        service.get_version(db=db, slug="bare")
    assert info.value.code == "plan_not_found"
