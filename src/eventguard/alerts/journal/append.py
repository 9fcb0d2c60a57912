"""Durable appends to the intake journal with group commit: the requests that arrive while one
append is being committed share the next commit (one INSERT of many rows, one fsync).

Every request gets its 2xx only after its row is committed. One drain task per event loop at a
time, started by the first request that finds none running and ending when nothing waits, so it
needs no start-up hook (the test client runs a loop per request).

Two ways in: ``append`` awaits the id (the ASGI route), ``submit`` calls back with it on the loop
(``eventguard serve``'s protocol, which answers from the callback without a task per request)."""

from __future__ import annotations

import asyncio
import functools
import threading
import weakref
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Dialect, insert
from sqlalchemy.orm import Session

from eventguard.alerts.journal.models import PENDING, journal_table
from eventguard.db import Database
from eventguard.db.bulk import bind_processor, multi_row_statement
from eventguard.db.engine import WRITE_OPTION, writer_turns
from eventguard.logs import get_logger

MAX_ROWS = 1024
MAX_BYTES = 8 * 1024 * 1024
log = get_logger("eventguard.journal")

# Told the outcome of one append on the event loop: its journal id once committed, or the exception.
Settle = Callable[[int | BaseException], None]


@dataclass(frozen=True)
class Append:
    """One accepted request, as it is written to the journal."""

    event_id: int
    integration_id: int | None  # None: injected by a drill
    kind: str
    received_at: datetime
    body: bytes
    alert_count: int


@dataclass(slots=True)
class _Waiting:
    append: Append
    settle: Settle


@dataclass
class _LoopState:
    queue: deque[_Waiting] = field(default_factory=deque)
    draining: bool = False
    task: asyncio.Task[None] | None = None  # referenced so that it is not collected


class JournalWriter:
    """Appends rows; ``on_commit`` runs after each commit (it wakes the processor)."""

    def __init__(self, database: Database, on_commit: Callable[[], None] | None = None) -> None:
        self._database = database
        self._write_engine = database.engine.execution_options(**{WRITE_OPTION: True})
        self._on_commit = on_commit
        self._states: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _LoopState] = (
            weakref.WeakKeyDictionary()
        )
        self._lock = threading.Lock()

    async def append(self, append: Append) -> int:
        """The journal id of ``append``, once it is committed; raises if the commit failed."""
        future: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        self.submit(append, functools.partial(_settle_future, future))
        # Shielded: a client that hangs up does not take its row out of a commit being written.
        return await asyncio.shield(future)

    def submit(self, append: Append, settle: Settle) -> None:
        """Queue ``append`` for the next commit; ``settle`` is called on this event loop with its
        journal id once it is committed, or with the exception if the commit failed. Must be called
        on the running loop."""
        loop = asyncio.get_running_loop()
        state = self._states.get(loop)
        if state is None:
            with self._lock:
                state = self._states.setdefault(loop, _LoopState())
        state.queue.append(_Waiting(append, settle))
        if not state.draining:
            state.draining = True
            state.task = loop.create_task(self._drain(state))

    async def _drain(self, state: _LoopState) -> None:
        taken: list[_Waiting] = []
        held = _HeldConnection(self._database)  # one raw connection while this drain lasts (SQLite)
        try:
            while state.queue:
                taken = _take(state.queue)
                try:
                    ids = await asyncio.to_thread(self.write, [w.append for w in taken], held)
                except Exception as exc:  # nothing was committed: every request of it fails
                    for waiting in taken:
                        _tell(waiting, exc)
                else:
                    for waiting, journal_id in zip(taken, ids, strict=True):
                        _tell(waiting, journal_id)
                taken = []
        finally:
            state.draining = False
            held.release()
            # Cancelled (the server is stopping): whoever still waits gets an answer, not a hang.
            stopped = RuntimeError("the intake stopped before this request was committed")
            for waiting in [*taken, *state.queue]:
                _tell(waiting, stopped)
            state.queue.clear()

    def write(self, appends: Sequence[Append], held: _HeldConnection | None = None) -> list[int]:
        """Insert ``appends`` in one statement and commit; their ids in order. ``held``: the drain's
        connection (SQLite), else one from the pool for this write."""
        if self._database.is_sqlite:
            ids = self._write_sqlite(appends, held)
        else:
            rows = [
                {
                    "event_id": a.event_id,
                    "integration_id": a.integration_id,
                    "kind": a.kind,
                    "received_at": a.received_at,
                    "body": a.body,
                    "alert_count": a.alert_count,
                    "state": PENDING,
                    "attempts": 0,
                }
                for a in appends
            ]
            statement = insert(journal_table).returning(journal_table.c.id, sort_by_parameter_order=True)
            with self._write_engine.begin() as conn:
                ids = [int(i) for i in conn.execute(statement, rows).scalars()]
        # durable (committed) before anyone gets a 2xx
        if self._on_commit is not None:
            self._on_commit()
        return ids

    def _write_sqlite(self, appends: Sequence[Append], held: _HeldConnection | None) -> list[int]:
        # One multi-row INSERT of the driver's own SQL, no RETURNING: SQLAlchemy's RETURNING with
        # ordered ids runs one statement per row on SQLite (each releasing and re-taking the GIL the
        # accepting event loop needs), and compiling a multi-row VALUES costs more than the write.
        if held is not None:
            return held.insert(appends)
        own = _HeldConnection(self._database)
        try:
            return own.insert(appends)
        finally:
            own.release()


class _HeldConnection:
    """A raw DBAPI connection of the engine's pool, held by one drain while requests keep coming
    and given back when it ends. Each batch is three calls into SQLite — ``BEGIN IMMEDIATE``, one
    multi-row INSERT, ``COMMIT`` — after the fair write turn (db/writelock.py), without SQLAlchemy's
    connection, transaction and event machinery around each: that Python ran on the writer thread
    while the event loop wanted the GIL for the next requests, and made a commit take four times as
    long as the commit itself. The connection comes from the pool, so it has the engine's pragmas
    (WAL, ``synchronous=FULL``, busy timeout); a batch that fails invalidates it."""

    def __init__(self, database: Database) -> None:
        self._database = database
        self._connection: Any = None

    def insert(self, appends: Sequence[Append]) -> list[int]:
        engine = self._database.engine
        if self._connection is None:
            self._connection = engine.raw_connection()
        connection, turns = self._connection, writer_turns(engine)
        received = _received_at(engine.dialect)
        values: list[object] = []
        for a in appends:
            received_at = received(a.received_at)
            values += (a.event_id, a.integration_id, a.kind, received_at, a.body, a.alert_count, PENDING, 0)
        if turns is not None:
            turns.acquire(connection.info)
        try:
            cursor = connection.cursor()
            try:
                cursor.execute("BEGIN IMMEDIATE")
                cursor.execute(multi_row_statement(journal_table.name, _COLUMNS, len(appends)), values)
                # Under the write lock new rowids are consecutive (max(rowid) + 1 each): the last gives all.
                last = int(cursor.lastrowid)
                cursor.execute("COMMIT")
            finally:
                cursor.close()
        except BaseException:
            self._discard()
            raise
        finally:
            if turns is not None:
                turns.release(connection.info)
        return list(range(last - len(appends) + 1, last + 1))

    def _discard(self) -> None:
        connection, self._connection = self._connection, None
        try:
            connection.invalidate()  # closed, not given back: its transaction may be half done
        except Exception as exc:
            log.warning("journal_connection_invalidate_failed", error=repr(exc))

    def release(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            connection.close()  # back to the pool


@functools.cache
def _received_at(dialect: Dialect) -> Callable[[datetime], object]:
    """How ``received_at`` is bound on ``dialect`` (UTCDateTime's conversion, then the driver's)."""
    convert = bind_processor(journal_table.c.received_at, dialect)
    assert convert is not None
    return convert


_COLUMNS = ("event_id", "integration_id", "kind", "received_at", "body", "alert_count", "state", "attempts")


def insert_rows(*, db: Session, appends: Sequence[Append]) -> list[int]:
    """Insert ``appends`` as pending rows in the caller's transaction (which commits); their ids.
    A drill injects this way, in the transaction that records the injection."""
    rows = [
        {
            "event_id": a.event_id,
            "integration_id": a.integration_id,
            "kind": a.kind,
            "received_at": a.received_at,
            "body": a.body,
            "alert_count": a.alert_count,
            "state": PENDING,
            "attempts": 0,
        }
        for a in appends
    ]
    table = journal_table
    statement = insert(table).returning(table.c.id, sort_by_parameter_order=True)
    return [int(i) for i in db.execute(statement, rows).scalars()]


def _take(queue: deque[_Waiting]) -> list[_Waiting]:
    taken = [queue.popleft()]
    size = len(taken[0].append.body)
    while queue and len(taken) < MAX_ROWS and size + len(queue[0].append.body) <= MAX_BYTES:
        taken.append(queue.popleft())
        size += len(taken[-1].append.body)
    return taken


def _tell(waiting: _Waiting, outcome: int | BaseException) -> None:
    """One waiter's outcome; a waiter that fails to take it does not keep it from the others."""
    try:
        waiting.settle(outcome)
    except Exception as exc:
        log.exception("journal_settle_failed", error=repr(exc))


def _settle_future(future: asyncio.Future[int], outcome: int | BaseException) -> None:
    if future.done():
        return
    if isinstance(outcome, BaseException):
        future.set_exception(outcome)
    else:
        future.set_result(outcome)
