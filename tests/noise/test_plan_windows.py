"""Maintenance windows of the plan: validated at their lines, and applied while the journal is
processed (the plan's payment-provider window holds a payment alert's page)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from eventguard.alerts.models import Alert
from eventguard.clock import FrozenClock
from eventguard.db import Database
from eventguard.events.models import Event
from eventguard.noise import service as noise
from eventguard.notify.models import Delivery
from eventguard.worker.context import WorkerContext
from eventguard.worker.loop import run_once
from tests.alerts.builders import am_alert
from tests.noise.test_processing import _ingest
from tests.plans.helpers import check, edit, line_of, only

IN_PAYMENT_WINDOW = datetime(2026, 6, 9, 17, 30, tzinfo=UTC)  # 01:30 in Shanghai on 10 June


def test_the_example_plans_windows_are_valid_and_listed(example_source: str) -> None:
    result = check(example_source)
    assert result.errors == [] and result.spec is not None
    assert [w.id for w in result.spec.maintenance_windows] == [
        "backup-encoder-restart",
        "payment-provider-maintenance",
    ]


def test_window_problems_are_reported_at_their_lines(example_source: str) -> None:
    source = edit(
        example_source,
        '{name: alertname, op: "=~", value: "Payment.*"}',
        '{name: region, op: "=~", value: ".*"}',
    )
    source = edit(source, "    duration: 15m\n    repeat: daily", "    duration: 25h\n    repeat: daily")
    source = edit(source, "    until: 2026-06-18T00:00:00+08:00", "    until: 2026-05-01T00:00:00+08:00")
    result = check(source)
    assert only(result, "window_matches_everything").line == line_of(
        source, "    matchers:\n      - {name: region"
    )
    too_long = only(result, "window_too_long")
    assert too_long.line == line_of(source, "duration: 25h")
    assert too_long.message.render("en") == (
        'Maintenance window "backup-encoder-restart" repeats daily but lasts 1d1h, longer than its period.'
    )
    assert "维护窗口" in too_long.message.render("zh-CN")
    assert only(result, "window_ends_before_start").line == line_of(source, "until: 2026-05-01")
    bad = edit(example_source, 'value: "Payment.*"', 'value: "Payment.*("')
    assert only(check(bad), "invalid_regex").line == line_of(bad, 'value: "Payment.*("')


def test_a_plan_window_holds_the_page_and_names_itself_on_the_incident(
    db: Session, database: Database, local_event: Event, clock: FrozenClock, worker_context: WorkerContext
) -> None:
    clock.set(IN_PAYMENT_WINDOW)
    [incident_id] = _ingest(db, local_event, clock, am_alert("PaymentErrorRate"))
    run_once(database=database, context=worker_context)
    db.commit()
    assert db.scalars(select(Delivery).where(Delivery.incident_id == incident_id)).all() == []
    assert db.scalar(select(Alert.incident_id).where(Alert.event_id == local_event.id)) == incident_id
    view = noise.incident_noise(db=db, incident_id=incident_id)
    assert view.hold.held and view.hold.rule == "plan-window:payment-provider-maintenance"
    assert view.suppressions[0].kind == "maintenance"
    assert "Payment provider's announced maintenance" in view.suppressions[0].description
