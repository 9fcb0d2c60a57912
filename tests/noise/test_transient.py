"""Transient alerts (opt-in per level, never level 1): with ``transient: [{level: 3, within: 5m}]``
a level-3 incident whose alerts resolve within 5 minutes never pages; one still firing after 5
minutes pages then; a level-1 alert joining it pages at once; level 1 cannot opt in."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.orm import Session

from eventguard.audit.service import Actor
from eventguard.clock import FrozenClock
from eventguard.db import Database
from eventguard.events import service as events
from eventguard.events.models import Event
from eventguard.incidents.models import Incident
from eventguard.noise import service as noise
from eventguard.plans import service as plans
from eventguard.worker.context import WorkerContext
from tests.alerts.builders import am_alert
from tests.conftest import EXAMPLE_PLAN, LIVE_MOMENT
from tests.noise.helpers import ingest, pages, sample, texts, worker_pass
from tests.notify.conftest import SECRETS, VENDOR_URLS
from tests.notify.receivers import HttpReceiver
from tests.plans.helpers import check, edit, line_of, only

TRANSIENT = "  transient:\n    - {level: 3, within: 5m}\n"


def _with_transient(source: str) -> str:
    return edit(
        source,
        "  # An alert that fires and resolves more than 3 times",
        TRANSIENT + "  # An alert that fires and resolves more than 3 times",
    )


@pytest.fixture
def transient_event(
    db: Session, clock: FrozenClock, http_receiver: HttpReceiver, monkeypatch: pytest.MonkeyPatch
) -> Event:
    source = _with_transient(EXAMPLE_PLAN.read_text(encoding="utf-8"))
    for vendor, path in VENDOR_URLS.items():
        source = source.replace(vendor, http_receiver.url.rstrip("/") + path)
    for name, value in SECRETS.items():
        monkeypatch.setenv(name, value)
    version = plans.apply_plan(db=db, source=source, filename="t.yaml", actor=Actor.cli("test"), clock=clock)
    db.commit()
    return events.get(db=db, event_id=version.event_id)


def test_a_level_3_incident_that_resolves_within_its_wait_never_pages(
    db: Session, database: Database, transient_event: Event, clock: FrozenClock, worker_context: WorkerContext
) -> None:
    clock.set(LIVE_MOMENT)
    held_before = sample("eventguard_noise_held_incidents_total", {"kind": "transient"})
    alert = am_alert("PaymentSingleOrderFailed", instance="pay-1:443")  # level 3
    [incident_id] = ingest(db, transient_event, clock, alert)
    ingest(db, transient_event, clock, alert)  # a repeat of the same report does not release it
    worker_pass(database, worker_context, db)
    assert pages(db, incident_id) == [] and noise.paging_held(db=db, incident_id=incident_id)
    assert sample("eventguard_noise_held_incidents_total", {"kind": "transient"}) - held_before == 1
    assert any(
        t.startswith("paging held by transient rule of level 3: pages only if its alerts still fire after 5m")
        for t in texts(db, incident_id, "suppression")
    )
    clock.advance(timedelta(minutes=2))
    ingest(db, transient_event, clock, {**alert, "status": "resolved"})
    clock.advance(timedelta(minutes=10))
    worker_pass(database, worker_context, db)
    worker_pass(database, worker_context, db)
    assert pages(db, incident_id) == []  # never paged
    assert noise.paging_held(db=db, incident_id=incident_id)


def test_a_level_3_incident_still_firing_after_its_wait_pages(
    db: Session, database: Database, transient_event: Event, clock: FrozenClock, worker_context: WorkerContext
) -> None:
    clock.set(LIVE_MOMENT)
    [incident_id] = ingest(
        db, transient_event, clock, am_alert("PaymentSingleOrderFailed", instance="pay-2:443")
    )
    clock.advance(timedelta(minutes=4, seconds=59))
    worker_pass(database, worker_context, db)
    assert pages(db, incident_id) == []
    clock.advance(timedelta(seconds=1))
    worker_pass(database, worker_context, db)  # released
    worker_pass(database, worker_context, db)  # incident.released plans the pages
    assert "team:tech:lead#zhang-wei" in {d.role for d in pages(db, incident_id)}
    hold = noise.hold_of(db=db, incident_id=incident_id)
    assert hold is not None and hold.release_reason == "still firing after 5m: not transient"

    # A level without the setting (2) pages at once.
    [serious] = ingest(db, transient_event, clock, am_alert("PaymentErrorRate"))
    worker_pass(database, worker_context, db)
    assert pages(db, serious) and not noise.paging_held(db=db, incident_id=serious)


def test_a_level_1_alert_joining_a_waiting_incident_releases_it_at_once(
    db: Session, transient_event: Event, clock: FrozenClock
) -> None:
    # In the prep phase HLSPlaylistStale is level 3 (transient); live it is level 1.
    [incident_id] = ingest(db, transient_event, clock, am_alert("HLSPlaylistStale", instance="edge-2:443"))
    assert noise.paging_held(db=db, incident_id=incident_id)
    clock.set(LIVE_MOMENT)
    assert ingest(db, transient_event, clock, am_alert("HLSPlaylistStale", instance="edge-3:443")) == [
        incident_id
    ]
    incident = db.get(Incident, incident_id)
    assert incident is not None
    db.refresh(incident)
    assert incident.level == 1 and not noise.paging_held(db=db, incident_id=incident_id)
    hold = noise.hold_of(db=db, incident_id=incident_id)
    assert hold is not None and "that no rule holds joined" in (hold.release_reason or "")


def test_level_1_cannot_opt_in_and_a_level_is_set_once(example_source: str) -> None:
    source = edit(
        _with_transient(example_source),
        "    - {level: 3, within: 5m}\n",
        "    - {level: 1, within: 5m}\n    - {level: 3, within: 5m}\n    - {level: 3, within: 10s}\n",
    )
    result = check(source)
    assert only(result, "transient_level_1").line == line_of(source, "- {level: 1, within: 5m}")
    assert only(result, "transient_level_duplicate").line == line_of(source, "- {level: 3, within: 10s}")
    assert only(result, "transient_too_short").message.render("en") == (
        "Paging waits 10s for transient alerts; wait at least 1m."
    )
