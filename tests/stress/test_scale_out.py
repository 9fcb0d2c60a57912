"""Scale-out on PostgreSQL (issue 9, 3.5): the production topology in small, two stateless API
processes (``serve --no-worker``) and two ``eventguard worker`` processes on one database, and a
concurrent storm of alerts across many groups sent to both APIs at once. Exactly one incident per
group, every answered alert stored once, every page sent once (no repeat even before
de-duplication: nothing was killed, so at-least-once must not show)."""

from __future__ import annotations

import time
import uuid
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select, text

from eventguard.alerts.models import Alert
from eventguard.clock import FrozenClock
from eventguard.db import Database, migrate
from eventguard.incidents.models import Incident
from eventguard.notify.models import Delivery, DeliveryAttempt, DeliveryStatus
from tests.conftest import PG_URL, _pg_schema_url
from tests.stress.plans import stress_plan
from tests.stress.procs import Api, Sender, Worker, apply_stress_plan, settled, wait_until
from tests.stress.receiver import IdempotentReceiver

GROUPS = 40
ALERTS = 800  # 400 requests of 2 alerts, from 8 threads, alternating between the two APIs


@pytest.fixture
def pg_database() -> Iterator[Database]:
    schema = f"eg_scale_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        url = _pg_schema_url(schema)
        migrate.upgrade(url)
        database = Database(url)
        yield database
        database.dispose()
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def test_two_apis_and_two_workers_open_one_incident_per_group_and_page_once(
    pg_database: Database, tmp_path: Path
) -> None:
    database = pg_database
    receiver = IdempotentReceiver(delay=0.01).start()
    clock = FrozenClock(datetime(2026, 6, 1, tzinfo=UTC))
    with database.session() as db:
        _event, token = apply_stress_plan(db, stress_plan(pager=f"{receiver.url}/page"), clock)
    apis = [Api(database, tmp_path, f"api{n}").launch() for n in (1, 2)]
    # Nothing is killed here: the default lease (60 s), so any repeat is a claim taken twice.
    workers = [Worker(database, tmp_path, f"worker{n}", lease=60).start() for n in (1, 2)]
    sender = Sender(
        urls=[api.url for api in apis], token=token, groups=GROUPS, total=ALERTS, threads=8, rate=10_000
    )
    try:
        for api in apis:
            api.wait_ready()
        began = time.monotonic()
        sender.start().join(180)
        storm = time.monotonic() - began
        wait_until(lambda: settled(database), 180, "the journal, outbox and deliveries to settle")
        total = time.monotonic() - began
    finally:
        for process in [*apis, *workers]:
            process.stop()
        receiver.stop()

    assert sender.errors == [] and sender.failed == []
    with database.session() as db:
        stored = Counter(alert.labels["instance"] for alert in db.scalars(select(Alert)))
        assert stored == Counter({instance: 1 for instance in sender.answered})
        incidents = list(db.scalars(select(Incident)))
        per_group = Counter(incident.group_key for incident in incidents)
        assert len(per_group) == GROUPS and set(per_group.values()) == {1}, per_group
        deliveries = db.scalar(select(func.count()).select_from(Delivery)) or 0
        delivered = (
            db.scalar(
                select(func.count()).select_from(Delivery).where(Delivery.status == DeliveryStatus.delivered)
            )
            or 0
        )
        attempts = db.scalar(select(func.count()).select_from(DeliveryAttempt)) or 0
    assert deliveries == delivered == attempts == GROUPS  # one page per incident, each sent once
    pages = Counter(item.incident_id for item in receiver.accepted_on("/page"))
    assert pages == Counter({incident.id: 1 for incident in incidents})
    assert receiver.duplicates == 0
    print(
        f"\nscale-out [postgresql, 2 API + 2 workers]: {len(sender.answered)} alerts in "
        f"{len(sender.answered) // 2} requests over {GROUPS} groups accepted in {storm:.1f} s "
        f"({len(sender.answered) / storm:.0f} alerts/s from 8 client threads); settled (incidents "
        f"and pages) {total:.1f} s after the first request; incidents per group: "
        f"{sorted(set(per_group.values()))}; pages {len(receiver.accepted)}, repeats {receiver.duplicates}"
    )
