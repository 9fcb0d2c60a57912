"""Durable appends to the intake journal with group commit: the requests that arrive while one
append is being committed share the next commit (one INSERT of many rows, one fsync).

Every request gets its 2xx only after its row is committed. One drain task per event loop at a
time, started by the first request that finds none running and ending when nothing waits, so it
needs no start-up hook (the test client runs a loop per request)."""

from __future__ import annotations

import asyncio
import functools
import threading
import weakref
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Dialect, insert
from sqlalchemy.orm import Session

from eventguard.alerts.journal.models import PENDING, journal_table
from eventguard.db import Database
from eventguard.db.engine import WRITE_OPTION

MAX_ROWS = 1024
MAX_BYTES = 8 * 1024 * 1024


@dataclass(frozen=True)
class Append:
    """One accepted request, as it is written to the journal."""

    event_id: int
    integration_id: int | None  # None: injected by a drill
    kind: str
    received_at: datetime
    body: bytes
    alert_count: int


@dataclass
class _Waiting:
    append: Append
    future: asyncio.Future[int]


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
        loop = asyncio.get_running_loop()
        with self._lock:
            state = self._states.setdefault(loop, _LoopState())
        waiting = _Waiting(append, loop.create_future())
        state.queue.append(waiting)
        if not state.draining:
            state.draining = True
            state.task = loop.create_task(self._drain(state))
        # Shielded: a client that hangs up does not take its row out of a commit being written.
        return await asyncio.shield(waiting.future)

    async def _drain(self, state: _LoopState) -> None:
        taken: list[_Waiting] = []
        try:
            while state.queue:
                taken = _take(state.queue)
                try:
                    ids = await asyncio.to_thread(self.write, [w.append for w in taken])
                except Exception as exc:  # nothing was committed: every request of it fails
                    for waiting in taken:
                        _settle(waiting, exc)
                else:
                    for waiting, journal_id in zip(taken, ids, strict=True):
                        _settle(waiting, journal_id)
                taken = []
        finally:
            state.draining = False
            # Cancelled (the server is stopping): whoever still waits gets an answer, not a hang.
            stopped = RuntimeError("the intake stopped before this request was committed")
            for waiting in [*taken, *state.queue]:
                _settle(waiting, stopped)
            state.queue.clear()

    def write(self, appends: Sequence[Append]) -> list[int]:
        """Insert ``appends`` in one statement and commit; their ids in order."""
        if self._database.is_sqlite:
            ids = self._write_sqlite(appends)
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

    def _write_sqlite(self, appends: Sequence[Append]) -> list[int]:
        # One multi-row INSERT of the driver's own SQL, no RETURNING: SQLAlchemy's RETURNING with
        # ordered ids runs one statement per row on SQLite (each releasing and re-taking the GIL the
        # accepting event loop needs), and compiling a multi-row VALUES costs more than the write.
        # Under the write lock new rowids are consecutive (max(rowid) + 1 each): the last gives all.
        received = self._received_at(self._database.engine.dialect)
        values: list[object] = []
        for a in appends:
            values += (a.event_id, a.integration_id, a.kind, received(a.received_at), a.body, a.alert_count)
        with self._write_engine.begin() as conn:
            conn.exec_driver_sql(_sqlite_insert(len(appends)), tuple(values))
            last = int(conn.exec_driver_sql("SELECT last_insert_rowid()").scalar_one())
        return list(range(last - len(appends) + 1, last + 1))

    @staticmethod
    @functools.cache
    def _received_at(dialect: Dialect) -> Callable[[datetime], object]:
        """How ``received_at`` is bound on ``dialect`` (UTCDateTime's conversion, then the driver's)."""
        convert = journal_table.c.received_at.type.bind_processor(dialect)
        assert convert is not None
        return convert


_COLUMNS = "event_id, integration_id, kind, received_at, body, alert_count, state, attempts"


@functools.cache
def _sqlite_insert(rows: int) -> str:
    row = f"(?, ?, ?, ?, ?, ?, '{PENDING}', 0)"
    return f"INSERT INTO {journal_table.name} ({_COLUMNS}) VALUES " + ", ".join([row] * rows)


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


def _settle(waiting: _Waiting, outcome: int | Exception) -> None:
    if waiting.future.done():
        return
    if isinstance(outcome, Exception):
        waiting.future.set_exception(outcome)
    else:
        waiting.future.set_result(outcome)
