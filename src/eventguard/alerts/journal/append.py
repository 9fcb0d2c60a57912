"""Durable appends to the intake journal with group commit: the requests that arrive while one
append is being committed share the next commit (one INSERT of many rows, one fsync).

Every request gets its 2xx only after its row is committed. One drain task per event loop at a
time, started by the first request that finds none running and ending when nothing waits, so it
needs no start-up hook (the test client runs a loop per request)."""

from __future__ import annotations

import asyncio
import threading
import weakref
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import insert

from eventguard.alerts.journal.models import PENDING, journal_table
from eventguard.db import Database

MAX_ROWS = 1024
MAX_BYTES = 8 * 1024 * 1024


@dataclass(frozen=True)
class Append:
    """One accepted request, as it is written to the journal."""

    event_id: int
    integration_id: int
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
        with self._database.session(write=True) as db:
            ids = [int(i) for i in db.execute(statement, rows).scalars()]
            db.commit()  # durable before anyone gets a 2xx
        if self._on_commit is not None:
            self._on_commit()
        return ids


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
