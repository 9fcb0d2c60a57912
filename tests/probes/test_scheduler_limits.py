"""The scheduler keeps at most ``max_in_flight`` checks running: the turns due meanwhile wait in
order and start as slots free (none is lost, the drift counts from when each was due)."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from eventguard.clock import FrozenClock
from eventguard.db import Database
from eventguard.probes.checks import Outcome
from eventguard.probes.models import ProbeResult
from eventguard.probes.scheduler import ProbeScheduler
from tests.conftest import LIVE_MOMENT
from tests.probes.plan import apply_with


def test_at_most_max_in_flight_checks_run_and_the_others_wait_their_turn(
    db: Session, database: Database, clock: FrozenClock
) -> None:
    clock.set(LIVE_MOMENT)
    probes = [
        {"id": f"p-{n}", "kind": "http", "target": f"http://127.0.0.1:9/{n}", "interval": "10s"}
        for n in range(7)
    ]
    apply_with(db, clock, probes)
    running, most, order = 0, 0, []

    async def check(probe: Any, **_kwargs: Any) -> Outcome:
        nonlocal running, most
        running += 1
        most = max(most, running)
        order.append(probe.id)
        await asyncio.sleep(0.01)
        running -= 1
        return Outcome(True, 1.0, "ok")

    scheduler = ProbeScheduler(database=database, clock=clock, check=check, spread=False, max_in_flight=3)
    scheduler.run_once()
    assert (most, scheduler.stats.started, scheduler.stats.queued) == (3, 7, 4)
    assert sorted(order) == [f"p-{n}" for n in range(7)]  # every turn ran, none was lost
    clock.advance(dt.timedelta(seconds=10))
    scheduler.run_once()
    assert most == 3 and scheduler.stats.started == 14 and scheduler.stats.skipped == 0
    db.commit()
    assert db.scalar(select(func.count()).select_from(ProbeResult)) == 14
