"""One pass of every periodic job, and the loop that repeats it."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select

from eventguard.alerts import service as alerts
from eventguard.alerts.journal import process as journal
from eventguard.db import Database
from eventguard.domains import hook_functions
from eventguard.incidents import grouping
from eventguard.incidents.models import Incident, IncidentStatus
from eventguard.logs import get_logger
from eventguard.noise import service as noise
from eventguard.notify import sender, timers
from eventguard.plans import service as plans
from eventguard.plans.schemas import PlanSpec
from eventguard.watch import service as watch
from eventguard.worker.context import WorkerContext
from eventguard.worker.dispatch import dispatch_pending

log = get_logger("eventguard.worker")
PUBLISH_EVERY = timedelta(seconds=1)  # the static status page is checked at most this often
PRUNE_EVERY = timedelta(minutes=10)  # the intake journal's processed rows are pruned at most this often
WATCH_EVERY = timedelta(seconds=15)  # content watch: quiet windows resolve, old messages go


@dataclass
class PassReport:
    auto_resolved: list[int] = field(default_factory=list)
    dispatched: int = 0
    breaches: list[int] = field(default_factory=list)
    escalations: list[int] = field(default_factory=list)
    delivered: int = 0
    published: list[Path] = field(default_factory=list)
    pruned: int = 0
    watch_deleted: int = 0
    released: list[int] = field(default_factory=list)


def run_once(*, database: Database, context: WorkerContext) -> PassReport:
    """Run every job once, each in its own transaction."""
    clock = context.clock
    report = PassReport()
    with database.session(write=True) as db:
        event_ids = set(
            db.scalars(select(Incident.event_id).where(Incident.status == IncidentStatus.monitoring))
        )
        specs: dict[int, PlanSpec] = {eid: plans.get_active_plan(db=db, event_id=eid) for eid in event_ids}
        if specs:
            report.auto_resolved = grouping.sweep_auto_resolve(db=db, clock=clock, specs=specs)
        db.commit()
    if report.auto_resolved:
        log.info("auto_resolved", incidents=report.auto_resolved)
    report.released = release_holds(database=database, context=context)
    report.dispatched = dispatch_pending(database=database, context=context)
    with database.session(write=True) as db:
        report.escalations = timers.fire_escalations(db=db, context=context)
        report.breaches = timers.flag_breaches(db=db, context=context)
        db.commit()
    report.delivered = sender.deliver_due(database=database, context=context)
    report.published = publish_status_pages(database=database, context=context)
    report.pruned = prune_journal(database=database, context=context)
    report.watch_deleted = sweep_watch(database=database, context=context)
    for job in hook_functions("worker_pass"):  # the domains' own periodic jobs (drill injections …)
        job(database=database, context=context)
    if report.published:
        log.info("status_pages_published", files=len(report.published))
    return report


def release_holds(*, database: Database, context: WorkerContext) -> list[int]:
    """Held pages whose silences or maintenance windows ended while their incident still fires."""
    with database.session(write=True) as db:
        released = noise.sweep_holds(
            db=db,
            clock=context.clock,
            spec_of=lambda event_id: plans.get_active_plan(db=db, event_id=event_id),
            firing_labels=lambda incident_id: alerts.firing_labels(db=db, incident_id=incident_id),
        )
        db.commit()
    if released:
        log.info("holds_released", incidents=released)
    return released


def publish_status_pages(*, database: Database, context: WorkerContext) -> list[Path]:
    """Rewrite the static files of the status pages that changed, when a directory is configured
    and the last check is at least ``PUBLISH_EVERY`` ago; returns the files written."""
    publisher = context.publisher
    if publisher is None:
        return []
    now, last = context.clock.now(), publisher.checked_at
    if last is not None and last <= now < last + PUBLISH_EVERY:  # a clock set back does not stall it
        return []
    return publisher.publish_changed(database=database, settings=context.settings, clock=context.clock)


def prune_journal(*, database: Database, context: WorkerContext) -> int:
    """Delete processed intake journal rows past ``settings.journal_retention_hours``, at most once
    every ``PRUNE_EVERY``; returns how many."""
    now, last = context.clock.now(), context.marks.get("journal_prune")
    if last is not None and last <= now < last + PRUNE_EVERY:
        return 0
    context.marks["journal_prune"] = now
    retention = timedelta(hours=context.settings.journal_retention_hours)
    with database.session(write=True) as db:
        pruned = journal.prune(db=db, clock=context.clock, retention=retention)
        db.commit()
    if pruned:
        log.info("journal_pruned", rows=pruned)
    return pruned


def sweep_watch(*, database: Database, context: WorkerContext) -> int:
    """Content watch, at most every ``WATCH_EVERY``: resolve alerts whose window went quiet and
    delete messages older than the plan's retention; returns how many messages were deleted."""
    now, last = context.clock.now(), context.marks.get("watch_sweep")
    if last is not None and last <= now < last + WATCH_EVERY:
        return 0
    context.marks["watch_sweep"] = now
    with database.session(write=True) as db:
        changes, deleted = watch.sweep(db=db, clock=context.clock)
        db.commit()
    if changes or deleted:
        log.info("watch_swept", alerts=changes, deleted=deleted)
    return deleted


def run_forever(
    *,
    database: Database,
    context: WorkerContext,
    interval: float,
    stop: threading.Event,
    wake: threading.Event | None = None,
) -> None:
    """Repeat ``run_once`` every ``interval`` seconds until ``stop`` is set, at once when ``wake`` is
    set (the journal processor sets it after new incidents); errors are logged, not fatal."""
    while not stop.is_set():
        busy = False
        try:
            report = run_once(database=database, context=context)
            busy = bool(report.dispatched or report.delivered)
        except Exception:  # a failing pass must not kill the worker; the next pass retries
            log.exception("worker_pass_failed")
        if not busy:  # after real work, look again at once: a storm drains without pauses
            if wake is None:
                stop.wait(interval)
            else:
                wake.wait(interval)
                wake.clear()
