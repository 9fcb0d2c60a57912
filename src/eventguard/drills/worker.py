"""The worker's drill job (the ``worker_pass`` hook): inject the live drill steps that are due."""

from __future__ import annotations

from eventguard.db import Database
from eventguard.drills import service
from eventguard.logs import get_logger
from eventguard.worker.context import WorkerContext

log = get_logger("eventguard.drills")


def inject_due(*, database: Database, context: WorkerContext) -> None:
    """One transaction: every due injection goes to the intake journal and is marked injected."""
    with database.session(write=True) as db:
        done = service.inject_due(db=db, clock=context.clock)
        db.commit()
    if done:
        log.info("drill_injected", injections=[injection.id for injection in done])
