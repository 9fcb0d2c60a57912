"""Crash safety (issue 9, 3.3): a real API process (``serve --no-worker``) and a real worker, an
alert stream, SIGKILL of one or the other at seeded random points of the stream, restarts. Every
alert answered 2xx is stored (once), every alert group has exactly one incident, and each
incident's page reaches an idempotent receiver exactly once after de-duplication by ``webhook-id``;
the at-least-once repeats it dropped are counted and reported. SQLite and PostgreSQL."""

from __future__ import annotations

import random
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from eventguard.alerts.models import Alert
from eventguard.clock import FrozenClock
from eventguard.db import Database
from eventguard.incidents.models import Incident
from tests.stress.plans import stress_plan
from tests.stress.procs import Api, Sender, Worker, apply_stress_plan, settled, wait_until
from tests.stress.receiver import IdempotentReceiver

ALERTS = 400  # 200 requests of 2 alerts
GROUPS = 20  # each group opens on its own 20-alert stretch of the stream: pages go out throughout
KILLS = 3


def _soon(condition: Callable[[], bool], timeout: float) -> None:
    """Wait for ``condition`` at most ``timeout`` seconds (a preference, not a requirement)."""
    deadline = time.monotonic() + timeout
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.005)


def test_sigkill_of_api_and_worker_mid_stream_loses_nothing_and_pages_once(
    db: Session, database: Database, clock: FrozenClock, tmp_path: Path
) -> None:
    seed = 20261203 + (0 if database.is_sqlite else 1)
    rng = random.Random(seed)
    receiver = IdempotentReceiver(delay=0.1).start()  # a slow consumer: kills land mid-send
    _event, token = apply_stress_plan(db, stress_plan(pager=f"{receiver.url}/page"), clock)
    api, worker = Api(database, tmp_path).start(), Worker(database, tmp_path).start()
    victims = ["api", "worker", *(rng.choice(["api", "worker"]) for _ in range(KILLS - 2))]
    rng.shuffle(victims)
    points = sorted(rng.sample(range(ALERTS // 10, ALERTS - ALERTS // 10), KILLS))
    schedule: list[str] = []
    sender = Sender(urls=[api.url], token=token, groups=GROUPS, total=ALERTS, threads=2)
    sender.group_of = lambda instance: f"Storm{int(instance.split('-')[1]) * GROUPS // ALERTS:03d}"  # type: ignore[method-assign]
    try:
        sender.start()
        for point, victim in zip(points, victims, strict=True):
            wait_until(lambda p=point: sender.sent >= p, 120, f"{point} alerts sent")
            process = api if victim == "api" else worker
            if victim == "worker":  # and, when one comes within seconds, while a page is in flight
                _soon(lambda: receiver.in_flight > 0, 5)
            process.kill()
            schedule.append(f"{victim}@{sender.sent}")
            process.start()
        sender.join(120)
        drained_from = time.monotonic()
        wait_until(lambda: settled(database), 180, "the journal, outbox and deliveries to settle")
        drain = time.monotonic() - drained_from
    finally:
        api.stop()
        worker.stop()
        receiver.stop()

    db.commit()
    assert sender.errors == []
    stored = Counter(alert.labels["instance"] for alert in db.scalars(select(Alert)))
    receipts = {alert.labels["instance"]: alert.receive_count for alert in db.scalars(select(Alert))}
    assert all(stored[i] == 1 and receipts[i] == 1 for i in sender.answered), (
        "an answered alert is lost or doubled"
    )
    assert set(stored) <= set(sender.answered) | set(sender.failed)
    incidents = list(db.scalars(select(Incident)))
    groups = {sender.group_of(i) for i in sender.answered}
    titles = Counter(incident.group_key for incident in incidents)
    assert len(incidents) == len(groups) and all(n == 1 for n in titles.values()), titles
    alerts_by_incident = {alert.incident_id for alert in db.scalars(select(Alert))}
    assert alerts_by_incident == {incident.id for incident in incidents}
    pages = Counter(item.incident_id for item in receiver.accepted_on("/page"))
    assert pages == Counter({incident.id: 1 for incident in incidents}), pages
    print(
        f"\ncrash safety [{database.engine.dialect.name}] seed={seed} kills={schedule}: "
        f"alerts sent={sender.sent} answered 2xx={len(sender.answered)} "
        f"failed by kills={len(sender.failed)} stored={sum(stored.values())} "
        f"(answered stored={sum(1 for i in sender.answered if stored[i])}); incidents={len(incidents)} "
        f"for {len(groups)} groups; pages after dedup={len(receiver.accepted)} "
        f"duplicates dropped={receiver.duplicates}; settled {drain:.1f} s after the stream"
    )
