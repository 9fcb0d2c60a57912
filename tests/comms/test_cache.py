"""The page is rendered once per change, not per request; a change by any process shows at once
(the change version read on each request), one no version records within the recheck."""

from __future__ import annotations

import time
from datetime import UTC, datetime

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import update
from sqlalchemy.orm import Session

from eventguard.clock import FrozenClock
from eventguard.comms.statuspage.cache import StatusPageCache
from eventguard.db import Database
from eventguard.events.models import Event
from tests.comms.conftest import BASE_URL, declare, publish
from tests.conftest import AuthHeaders


def test_the_page_is_rendered_once_per_change_not_per_request(
    db: Session, database: Database, event: Event, clock: FrozenClock
) -> None:
    cache = StatusPageCache(database=database, clock=clock, base_url=BASE_URL, recheck_seconds=0)
    first = cache.document(event.slug, "html", "en")
    for _ in range(20):
        assert cache.document(event.slug, "html", "en") is first
    assert cache.renders == 1 and cache.loads == 21  # loaded every time (recheck 0), rendered once
    incident = declare(db, event, clock)
    changed = cache.document(event.slug, "html", "en")
    assert changed.etag != first.etag and cache.renders == 2
    publish(db, incident, clock)
    assert cache.document(event.slug, "html", "en").etag != changed.etag and cache.renders == 3


def test_within_the_recheck_interval_requests_read_one_version_row_and_see_every_change(
    db: Session, database: Database, event: Event, clock: FrozenClock
) -> None:
    cache = StatusPageCache(database=database, clock=clock, base_url=BASE_URL, recheck_seconds=3600)
    document = cache.document(event.slug, "json", "zh-CN")
    reads = cache.versions.reads
    for _ in range(5):
        assert cache.peek(event.slug, "json", "zh-CN") is document  # unchanged: from memory
    assert cache.loads == 1 and cache.versions.reads == reads + 5  # one version per request
    declare(db, event, clock)  # committed by another session, as another process would
    # SQLite: the next peek reads the row; PostgreSQL: as soon as the listener hears the NOTIFY.
    deadline = time.monotonic() + 5
    while cache.peek(event.slug, "json", "zh-CN") is not None and time.monotonic() < deadline:
        time.sleep(0.005)
    assert cache.peek(event.slug, "json", "zh-CN") is None  # changed: never the old document
    assert cache.document(event.slug, "json", "zh-CN").etag != document.etag
    assert cache.loads == 2
    cache.close()


def test_a_stale_page_is_answered_while_a_background_check_loads_the_change(
    db: Session, database: Database, event: Event, clock: FrozenClock
) -> None:
    cache = StatusPageCache(database=database, clock=clock, base_url=BASE_URL, recheck_seconds=0)
    old = cache.document(event.slug, "html", "en")
    # A change that no version records (written behind EventGuard's back): the recheck finds it.
    db.execute(update(Event).where(Event.id == event.id).values(updated_at=datetime(2026, 5, 21, tzinfo=UTC)))
    db.commit()
    assert cache.peek(event.slug, "html", "en") is old  # answered at once, refresh started
    deadline = time.monotonic() + 10
    while cache.renders < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    fresh = cache.peek(event.slug, "html", "en")
    cache.join()  # that peek started another check: let it end before the tables are emptied
    assert fresh is not None and fresh.etag != old.etag and cache.renders == 2


def test_a_change_through_the_api_shows_at_once_despite_the_interval(
    app: FastAPI, event: Event, auth_headers: AuthHeaders
) -> None:
    app.state.status_pages = StatusPageCache(
        database=app.state.db, clock=app.state.clock, base_url=BASE_URL, recheck_seconds=3600
    )
    with TestClient(app) as client:
        before = client.get(f"/status/{event.slug}.json").json()
        url = f"/api/v1/events/{event.slug}/status/components/payment"
        client.put(url, json={"status": "major_outage"}, headers=auth_headers("commander"))
        after = client.get(f"/status/{event.slug}.json").json()
    assert {c["id"]: c["status"] for c in before["components"]}["payment"] == "operational"
    assert {c["id"]: c["status"] for c in after["components"]}["payment"] == "major_outage"
