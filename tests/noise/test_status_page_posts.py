"""Maintenance windows that post the status page's scheduled maintenance: the example plan's
payment-provider-maintenance (2026-06-10 01:00-03:00 Asia/Shanghai, announced 24h ahead, notify)
is posted as scheduled a day ahead, in progress at its start and completed at its end, and a
subscriber's webhook (a real local HTTP receiver) hears each step once; an ad-hoc window from the
API does the same, and deleting it before it ends completes it at once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from eventguard.clock import FrozenClock
from eventguard.comms.models import Maintenance, MaintenanceStatus, MaintenanceUpdate
from eventguard.comms.subscribers import service as subscribers
from eventguard.comms.updates import maintenance
from eventguard.db import Database
from eventguard.events.models import Event
from eventguard.noise.models import MaintenancePost
from eventguard.plans import service as plans
from eventguard.worker.context import WorkerContext
from tests.conftest import AuthHeaders
from tests.noise.helpers import sample, worker_pass
from tests.notify.receivers import HttpReceiver, standard_webhook_signature_ok

START = datetime(2026, 6, 9, 17, 0, tzinfo=UTC)  # 2026-06-10 01:00 in Shanghai
END = START + timedelta(hours=2)


def _subscribe(db: Session, event: Event, clock: FrozenClock, url: str, components: list[str]) -> str:
    spec = plans.get_active_plan(db=db, event_id=event.id)
    row = subscribers.subscribe_webhook(
        db=db, event=event, spec=spec, url=url, components=components, language="en", clock=clock
    )
    db.commit()
    assert row.secret is not None
    return row.secret


def _heard(receiver: HttpReceiver, path: str) -> list[dict[str, object]]:
    return [r.json() for r in receiver.requests if r.path == path]


def _passes(database: Database, context: WorkerContext, db: Session) -> None:
    for _ in range(3):
        worker_pass(database, context, db)


def test_a_plan_window_posts_scheduled_maintenance_and_tells_subscribers_at_start_and_end(
    db: Session,
    database: Database,
    local_event: Event,
    clock: FrozenClock,
    worker_context: WorkerContext,
    http_receiver: HttpReceiver,
) -> None:
    clock.set(START - timedelta(hours=25))
    secret = _subscribe(db, local_event, clock, f"{http_receiver.url}/payments-sub", ["payment"])
    _subscribe(db, local_event, clock, f"{http_receiver.url}/chat-sub", ["interaction"])
    posted = sample("eventguard_noise_maintenance_posts_total", {"step": "scheduled"})
    _passes(database, worker_context, db)
    assert db.scalars(select(Maintenance)).all() == []  # more than 24h ahead: not yet

    clock.set(START - timedelta(hours=24))
    _passes(database, worker_context, db)
    [window] = db.scalars(select(Maintenance)).all()
    assert window.title == {"zh-CN": "支付通道计划维护", "en": "Planned payment maintenance"}
    assert (window.components, window.scheduled_for, window.scheduled_until) == (["payment"], START, END)
    [scheduled] = _heard(http_receiver, "/payments-sub")
    assert scheduled["type"] == "status.maintenance_update"
    data = scheduled["data"]
    assert isinstance(data, dict) and data["maintenance"]["status"] == "scheduled"
    request = next(r for r in http_receiver.requests if r.path == "/payments-sub")
    assert standard_webhook_signature_ok(request, secret, clock.now())
    assert _heard(http_receiver, "/chat-sub") == []  # not subscribed to payment
    assert sample("eventguard_noise_maintenance_posts_total", {"step": "scheduled"}) - posted == 1

    clock.set(START + timedelta(seconds=5))
    _passes(database, worker_context, db)
    statuses = [h["data"]["maintenance"]["status"] for h in _heard(http_receiver, "/payments-sub")]  # type: ignore[index]
    assert statuses == ["scheduled", "in_progress"]
    db.refresh(window)
    assert maintenance.effective_status(window, clock.now()) is MaintenanceStatus.in_progress

    clock.set(END + timedelta(seconds=5))
    _passes(database, worker_context, db)
    clock.advance(timedelta(minutes=5))
    _passes(database, worker_context, db)  # nothing is posted twice
    statuses = [h["data"]["maintenance"]["status"] for h in _heard(http_receiver, "/payments-sub")]  # type: ignore[index]
    assert statuses == ["scheduled", "in_progress", "completed"]
    db.refresh(window)
    assert window.status is MaintenanceStatus.completed
    bodies = [u.body["en"] for u in db.scalars(select(MaintenanceUpdate).order_by(MaintenanceUpdate.id))]
    assert bodies[1:] == ["The planned maintenance has started.", "The planned maintenance is complete."]
    [post] = db.scalars(select(MaintenancePost)).all()
    assert post.window == "plan-window:payment-provider-maintenance" and post.ended_at is not None


def test_an_ad_hoc_window_from_the_api_posts_and_is_completed_when_deleted(
    client: TestClient,
    db: Session,
    database: Database,
    event: Event,
    clock: FrozenClock,
    auth_headers: AuthHeaders,
    worker_context: WorkerContext,
    http_receiver: HttpReceiver,
) -> None:
    commander = auth_headers("commander")
    _subscribe(db, event, clock, f"{http_receiver.url}/all-sub", [])
    body = {
        "name": "CDN switch-over",
        "matchers": [{"name": "component", "op": "=", "value": "cdn"}],
        "starts_at": (clock.now() + timedelta(hours=2)).isoformat(),
        "duration": 3600,
        "status_page": {"components": ["livestream"], "announce_before": 10800, "notify": True},
    }
    wrong = client.post(
        "/api/v1/events/cloud-summit-2026/maintenance-windows",
        json={**body, "status_page": {"components": ["teleport"]}},
        headers=commander,
    )
    assert wrong.status_code == 422 and wrong.json()["error"]["code"] == "unknown_core_function"
    created = client.post(
        "/api/v1/events/cloud-summit-2026/maintenance-windows", json=body, headers=commander
    )
    assert created.status_code == 201, created.text
    assert created.json()["status_page"]["announce_before_seconds"] == 10800
    _passes(database, worker_context, db)
    [window] = db.scalars(select(Maintenance)).all()
    assert window.title == {"zh-CN": "CDN switch-over", "en": "CDN switch-over"}
    assert "Planned maintenance from" in window_body(db, window.id)
    [heard] = _heard(http_receiver, "/all-sub")
    assert heard["data"]["maintenance"]["status"] == "scheduled"  # type: ignore[index]

    deleted = client.delete(
        f"/api/v1/events/cloud-summit-2026/maintenance-windows/{created.json()['id']}", headers=commander
    )
    assert deleted.status_code == 200
    _passes(database, worker_context, db)
    db.refresh(window)
    assert window.status is MaintenanceStatus.completed
    assert window_body(db, window.id, last=True) == "The planned maintenance was cancelled."
    assert [h["data"]["maintenance"]["status"] for h in _heard(http_receiver, "/all-sub")] == [  # type: ignore[index]
        "scheduled",
        "completed",
    ]


def window_body(db: Session, maintenance_id: int, last: bool = False) -> str:
    rows = db.scalars(
        select(MaintenanceUpdate)
        .where(MaintenanceUpdate.maintenance_id == maintenance_id)
        .order_by(MaintenanceUpdate.id)
    ).all()
    return rows[-1 if last else 0].body["en"]
