"""Receiver outage (issue 9, 3.4): the gateway that pages the on-call person and the incident feed
live on one receiver, which refuses connections, then answers 503, then hangs, for ten simulated
minutes; a backup paging gateway works throughout.

Time is simulated: the worker's passes run in this process on a ``FrozenClock`` advanced 10 s a
pass (every deadline, lease, backoff and failover delay in the engine reads that clock), against
real HTTP receivers on 127.0.0.1. Only the hanging phase costs real time: each attempt waits for
the HTTP client's timeout (1 s here, 10 s in production).

Asserted: every notified role was reached through the backup gateway within ``notify_within``
(the SLA met, in simulated time); afterwards everything still owed is delivered, each incident's
feed messages in the order they were queued; the person is paged once per incident (the primary
gateway's page is not sent after the backup reached them), and nothing gave up."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from datetime import timedelta

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from eventguard.audit.service import Actor
from eventguard.clock import FrozenClock
from eventguard.config import Settings
from eventguard.db import Database
from eventguard.incidents import service as incidents
from eventguard.incidents.models import Incident
from eventguard.notify.models import Delivery, DeliveryStatus, NotificationSla
from eventguard.worker.context import WorkerContext
from eventguard.worker.loop import run_once
from tests.alerts.builders import am_alert, am_payload
from tests.conftest import ProcessJournal
from tests.stress.plans import SLUG, stress_plan
from tests.stress.procs import apply_stress_plan
from tests.stress.receiver import IdempotentReceiver, Mode

STEP = timedelta(seconds=10)
OUTAGE: list[tuple[int, Mode]] = [(0, "refuse"), (200, "unavailable"), (400, "hang"), (600, "ok")]
OPENS = {0: "OutageA", 20: "OutageB", 90: "OutageC"}  # simulated second -> alert name (one incident)
RESOLVE_AT = 240  # OutageA is resolved during the outage: its feed gets "opened" then "resolved"


@pytest.fixture
def receivers() -> Iterator[tuple[IdempotentReceiver, IdempotentReceiver]]:
    primary, backup = IdempotentReceiver(), IdempotentReceiver().start()
    yield primary, backup
    primary.stop()
    backup.stop()


def test_ten_minute_outage_fails_over_in_time_then_delivers_everything_in_order(
    db: Session,
    database: Database,
    clock: FrozenClock,
    client: TestClient,
    process_journal: ProcessJournal,
    receivers: tuple[IdempotentReceiver, IdempotentReceiver],
) -> None:
    primary, backup = receivers
    plan = stress_plan(
        pager=f"{primary.url}/page", backup_pager=f"{backup.url}/page", feed=f"{primary.url}/feed"
    )
    _event, token = apply_stress_plan(db, plan, clock)
    settings = Settings(database_url=database.url, secret_key="test-secret-key", base_url="http://eg.test")
    start = clock.now()
    with httpx.Client(timeout=1.0) as http:
        context = WorkerContext(clock=clock, settings=settings, http=http, name="outage-worker")
        second, opened = 0, set()
        while second <= 1800:  # half an hour, simulated: the outage and the backlog after it
            for at, mode in OUTAGE:
                if second == at:
                    primary.set_mode(mode)
            if second in OPENS:
                alert = am_alert(OPENS[second], instance="edge-1", event=SLUG)
                answer = client.post(
                    "/api/v1/integrations/alertmanager",
                    json=am_payload(alert),
                    headers={"Authorization": f"Bearer {token}"},
                )
                assert answer.status_code == 200, answer.text
                process_journal()
                opened.add(OPENS[second])
            if second == RESOLVE_AT:
                first = db.scalars(select(Incident).order_by(Incident.id)).first()
                assert first is not None
                incidents.resolve(db=db, incident=first, actor=Actor.cli("test"), clock=clock)
                db.commit()
            run_once(database=database, context=context)
            if second > 600 and len(opened) == len(OPENS) and _all_finished(db):
                break
            clock.advance(STEP)
            second += 10
    db.commit()

    deliveries = list(db.scalars(select(Delivery).order_by(Delivery.id)))
    assert all(d.status in (DeliveryStatus.delivered, DeliveryStatus.superseded) for d in deliveries), [
        (d.id, d.status, d.attempts, d.last_error) for d in deliveries
    ]
    found = list(db.scalars(select(Incident).order_by(Incident.id)))
    assert len(found) == len(OPENS)
    # The 5-minute rule held through the outage, by the backup gateway.
    slas = list(db.scalars(select(NotificationSla)))
    assert slas and all(sla.met for sla in slas if sla.target.startswith("team:")), [
        (s.incident_id, s.target, s.first_delivered_at, s.deadline, s.met) for s in slas
    ]
    for incident in found:
        reached = [
            d
            for d in deliveries
            if d.incident_id == incident.id and d.channel_id == "backup-pager" and d.delivered_at
        ]
        assert len(reached) == 1 and reached[0].delivered_at is not None
        assert reached[0].delivered_at - incident.opened_at <= timedelta(minutes=5)
    # Paged once per incident: the primary gateway's page was dropped once the backup got through.
    pages: dict[int | None, int] = defaultdict(int)
    for item in [*primary.accepted_on("/page"), *backup.accepted_on("/page")]:
        pages[item.incident_id] += 1
    assert dict(pages) == {incident.id: 1 for incident in found}
    # The feed: everything queued is delivered after the outage, each incident's in queue order.
    feed = [d for d in deliveries if d.channel_id == "feed"]
    arrival = {item.webhook_id: n for n, item in enumerate(primary.accepted_on("/feed"))}
    assert {d.idempotency_key for d in feed} == set(arrival)
    for incident in found:
        queued = [d.idempotency_key for d in feed if d.incident_id == incident.id]
        assert sorted(queued, key=arrival.__getitem__) == queued, f"incident {incident.id} out of order"
    topics = [item.topic for item in primary.accepted_on("/feed") if item.incident_id == found[0].id]
    assert topics == ["incident.opened", "incident.resolved"]
    assert all(d.delivered_at and d.delivered_at >= start + timedelta(seconds=600) for d in feed)
    print(
        f"\nreceiver outage [{database.engine.dialect.name}]: {len(OPENS)} incidents, "
        f"{sum(1 for s in slas if s.met)} paged roles met notify_within via the backup gateway "
        f"({sum(1 for s in slas if not s.met)} feed roles breached, as they must be); after the outage "
        f"{len(feed)} feed messages delivered in order, pages per incident {sorted(set(pages.values()))}; "
        f"attempts at the down receiver {dict(primary.attempts)}; repeats dropped {primary.duplicates}"
    )


def _all_finished(db: Session) -> bool:
    db.commit()
    unfinished = db.scalars(
        select(Delivery.id).where(Delivery.status.in_([DeliveryStatus.pending, DeliveryStatus.sending]))
    ).first()
    return unfinished is None
