"""Processing the intake journal: pending rows, oldest first, become alerts and incidents in large
batches — one transaction per event and batch, the rows marked ``done`` in that same transaction,
so a processor killed mid-batch leaves the whole batch to be taken again with identical results.

Several processors share the journal: on PostgreSQL each batch first locks its event's row
(``FOR UPDATE SKIP LOCKED``), so the rows of one event are processed by one processor at a time
and in journal order — a firing report and the resolve behind it cannot pass each other — while
other events go to other processors. SQLite's single writer makes every batch exclusive anyway.

A row that cannot be processed (a bug: bad input was refused at accept time) is ``parked`` with its
error and does not block the rows behind it; an admin can send it back (``retry``)."""

from __future__ import annotations

import time
import traceback
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import orjson
from sqlalchemy import bindparam, delete, func, select, update
from sqlalchemy.orm import Session

import eventguard.db.registry  # noqa: F401  (every model: processing touches most tables)
from eventguard.alerts import service as alerts
from eventguard.alerts.formats.base import plain_json
from eventguard.alerts.journal import metrics
from eventguard.alerts.journal.models import DONE, PARKED, PENDING, JournalEntry, journal_table
from eventguard.alerts.models import Integration
from eventguard.clock import Clock
from eventguard.db import Database
from eventguard.errors import NotFound
from eventguard.events.models import Event
from eventguard.i18n import Message
from eventguard.logs import get_logger
from eventguard.plugins import CheckedFormat, alert_formats

MAX_ROWS = 2_000  # rows of one batch
MAX_ALERTS = 5_000  # alerts of one batch (a batch stops at the row that passes it)
log = get_logger("eventguard.alerts.journal")


@dataclass
class ProcessReport:
    rows: int = 0
    alerts: int = 0
    parked: list[int] = field(default_factory=list)
    incident_ids: set[int] = field(default_factory=set)
    seconds: float = 0.0


@dataclass
class _Row:
    id: int
    integration_id: int | None
    kind: str
    body: bytes
    alert_count: int


def process_pending(
    *, database: Database, clock: Clock, max_rows: int = MAX_ROWS, max_alerts: int = MAX_ALERTS
) -> ProcessReport:
    """Process every pending row there is now (several batches); returns what was done."""
    report = ProcessReport()
    started = time.perf_counter()
    while True:
        with database.session() as db:
            event_ids = list(
                db.scalars(
                    select(JournalEntry.event_id).where(JournalEntry.state == PENDING).distinct().limit(100)
                )
            )
        progressed = False
        for event_id in event_ids:
            if process_event_batch(
                database=database,
                clock=clock,
                event_id=event_id,
                report=report,
                max_rows=max_rows,
                max_alerts=max_alerts,
            ):
                progressed = True
        if not progressed:
            break
    report.seconds = time.perf_counter() - started
    return report


def process_event_batch(
    *,
    database: Database,
    clock: Clock,
    event_id: int,
    report: ProcessReport,
    max_rows: int = MAX_ROWS,
    max_alerts: int = MAX_ALERTS,
) -> bool:
    """One batch of one event's oldest pending rows, in one transaction; False when there was
    nothing to take (none left, or another processor holds the event)."""
    with database.session(write=True) as db:
        event = _lock_event(db, event_id, skip_locked=not database.is_sqlite)
        if event is None:
            return False
        rows = _claim(db, event_id, max_rows, max_alerts)
        if not rows:
            return False
        formats = alert_formats()
        _process_rows(db, event, rows, formats, clock, report)
        db.commit()
    return True


def _lock_event(db: Session, event_id: int, *, skip_locked: bool) -> Event | None:
    query = select(Event).where(Event.id == event_id)
    if skip_locked:
        # FOR NO KEY UPDATE: processors of one event take turns, but rows that refer to the event
        # (a channel's health, a delivery) may still be inserted meanwhile; FOR UPDATE also blocked
        # their foreign-key checks, and a worker recording a delivery deadlocked with a processor.
        query = query.with_for_update(skip_locked=True, key_share=True)
    return db.scalar(query)


def _claim(db: Session, event_id: int, max_rows: int, max_alerts: int) -> list[_Row]:
    query = (
        select(
            JournalEntry.id,
            JournalEntry.integration_id,
            JournalEntry.kind,
            JournalEntry.body,
            JournalEntry.alert_count,
        )
        .where(JournalEntry.state == PENDING, JournalEntry.event_id == event_id)
        .order_by(JournalEntry.id)
        .limit(max_rows)
    )
    rows, alerts_taken = [], 0
    for found in db.execute(query):
        rows.append(_Row(*found))
        alerts_taken += found.alert_count
        if alerts_taken >= max_alerts:
            break
    return rows


def _parse(row: _Row, formats: dict[str, CheckedFormat], received_at: datetime) -> alerts.Submission:
    fmt = formats.get(row.kind)
    if fmt is None:
        raise NotFound(Message("No alert format {kind}.", {"kind": row.kind}), code="unknown_format")
    batch = fmt.parse(orjson.loads(row.body), received_at=received_at, plain=plain_json(row.body))
    return alerts.Submission(batch=batch, source=row.kind, integration_id=row.integration_id)


class BatchFailed(RuntimeError):
    """Every row of a batch failed, each on its own: the cause is not one row (a database or
    deployment problem). Nothing is parked; the rows stay pending, their attempts counted, and are
    parked only after ``MAX_ATTEMPTS`` such passes."""


MAX_ATTEMPTS = 3


def _process_rows(
    db: Session,
    event: Event,
    rows: list[_Row],
    formats: dict[str, CheckedFormat],
    clock: Clock,
    report: ProcessReport,
) -> None:
    now = clock.now()
    parsed: list[tuple[_Row, alerts.Submission]] = []
    failed: list[tuple[_Row, BaseException]] = []
    for row in rows:
        try:
            parsed.append((row, _parse(row, formats, now)))
        except Exception as exc:  # accepted once, so a bug or a format that changed: park it
            failed.append((row, exc))
    try:
        with db.begin_nested():
            results = alerts.ingest_many(db=db, event=event, submissions=[s for _, s in parsed], clock=clock)
        done = list(zip((r for r, _ in parsed), results, strict=True))
    except Exception:  # someone's row breaks the batch: one savepoint each, in order, to find it
        done = []
        for row, submission in parsed:
            try:
                with db.begin_nested():
                    result = alerts.ingest_many(db=db, event=event, submissions=[submission], clock=clock)[0]
                done.append((row, result))
            except Exception as exc:
                failed.append((row, exc))
    if failed and not done and len(parsed) == len(rows):  # every row failed in processing itself
        _systemic(db, failed, now)
        return
    _mark_done(db, done, now)
    _park(db, failed, now)
    _touch_integrations(db, [row for row, _ in done], now)
    metrics.PROCESSED_ROWS.inc(len(done))
    metrics.PROCESSED_ALERTS.inc(sum(r.accepted for _, r in done))
    metrics.PARKED.inc(len(failed))
    report.rows += len(done)
    report.alerts += sum(r.accepted for _, r in done)
    report.parked += [row.id for row, _ in failed]
    for _, result in done:
        report.incident_ids.update(result.incident_ids)
    if failed:
        log.error("journal_rows_parked", journal_ids=[row.id for row, _ in failed], error=repr(failed[0][1]))


def _systemic(db: Session, failed: list[tuple[_Row, BaseException]], now: datetime) -> None:
    """Count an attempt on each row; park those that reached ``MAX_ATTEMPTS``; raise after commit."""
    table = journal_table
    ids = [row.id for row, _ in failed]
    db.execute(update(table).where(table.c.id.in_(ids)).values(attempts=table.c.attempts + 1))
    worn = db.scalars(
        select(JournalEntry.id).where(JournalEntry.id.in_(ids), JournalEntry.attempts >= MAX_ATTEMPTS)
    ).all()
    if worn:
        error = _describe(failed[0][1])
        db.execute(
            update(table)
            .where(table.c.id.in_(worn))
            .values(state=PARKED, error=error, processed_at=func.now())
        )
        metrics.PARKED.inc(len(worn))
    db.commit()
    raise BatchFailed(f"all {len(ids)} rows of a batch failed: {failed[0][1]!r}")


def _mark_done(db: Session, done: Sequence[tuple[_Row, alerts.IngestResult]], now: datetime) -> None:
    if not done:
        return
    table = journal_table
    statement = (
        update(table)
        .where(table.c.id == bindparam("row_id"))
        .values(state=DONE, processed_at=now, batch_id=bindparam("batch"), attempts=table.c.attempts + 1)
    )
    db.execute(statement, [{"row_id": row.id, "batch": result.batch_id} for row, result in done])


def _park(db: Session, failed: Sequence[tuple[_Row, BaseException]], now: datetime) -> None:
    if not failed:
        return
    table = journal_table
    statement = (
        update(table)
        .where(table.c.id == bindparam("row_id"))
        .values(state=PARKED, processed_at=now, error=bindparam("text"), attempts=table.c.attempts + 1)
    )
    db.execute(statement, [{"row_id": row.id, "text": _describe(exc)} for row, exc in failed])


def _describe(exc: BaseException) -> str:
    return "".join(traceback.format_exception_only(exc)).strip()[:4000]


def _touch_integrations(db: Session, rows: list[_Row], now: datetime) -> None:
    ids = sorted({row.integration_id for row in rows if row.integration_id is not None})
    if ids:
        db.execute(update(Integration).where(Integration.id.in_(ids)).values(last_received_at=now))


# --- Operations: lag, parked rows, retry, prune ---------------------------------------------


@dataclass(frozen=True)
class JournalLag:
    depth: int  # pending rows
    pending_alerts: int
    oldest_age: float  # seconds since the oldest pending row was received (0 when none)
    parked: int


def lag(*, db: Session, clock: Clock, event_id: int | None = None) -> JournalLag:
    pending = select(
        func.count(), func.coalesce(func.sum(JournalEntry.alert_count), 0), func.min(JournalEntry.received_at)
    ).where(JournalEntry.state == PENDING)
    parked = select(func.count()).where(JournalEntry.state == PARKED)
    if event_id is not None:
        pending = pending.where(JournalEntry.event_id == event_id)
        parked = parked.where(JournalEntry.event_id == event_id)
    depth, pending_alerts, oldest = db.execute(pending).one()
    age = max(0.0, (clock.now() - oldest).total_seconds()) if oldest is not None else 0.0
    return JournalLag(int(depth), int(pending_alerts), age, int(db.scalar(parked) or 0))


def parked_rows(*, db: Session, limit: int = 100) -> list[dict[str, Any]]:
    query = (
        select(JournalEntry).where(JournalEntry.state == PARKED).order_by(JournalEntry.id.desc()).limit(limit)
    )
    return [
        {
            "id": row.id,
            "event_id": row.event_id,
            "integration_id": row.integration_id,
            "kind": row.kind,
            "received_at": row.received_at.isoformat(),
            "alerts": row.alert_count,
            "attempts": row.attempts,
            "error": row.error,
            "parked_at": row.processed_at.isoformat() if row.processed_at else None,
        }
        for row in db.scalars(query)
    ]


def retry(*, db: Session, journal_id: int) -> JournalEntry:
    """Send a parked row back to be processed (after the bug that parked it is fixed)."""
    row = db.get(JournalEntry, journal_id, with_for_update=True)
    if row is None or row.state != PARKED:
        raise NotFound(
            Message("No parked journal row {id}.", {"id": journal_id}), code="journal_row_not_found"
        )
    row.state, row.error, row.processed_at = PENDING, None, None
    db.flush()
    return row


def prune(*, db: Session, clock: Clock, retention: timedelta) -> int:
    """Delete processed rows older than ``retention``; the alert batches that incidents' evidence
    points to are rows of their own (``alert_batches``) and stay. Parked rows are kept."""
    cutoff = clock.now() - retention
    result = db.execute(
        delete(JournalEntry).where(JournalEntry.state == DONE, JournalEntry.processed_at < cutoff)
    )
    return int(getattr(result, "rowcount", 0) or 0)
