"""Group commit for alert intake: the intake requests that arrive while one transaction is being
written share the next one.

Every request still gets its 2xx only after its alerts are committed, but a storm's requests no
longer pay one transaction (session, plan lookup, grouping queries, fsync) each: what waits while a
transaction is written goes into the next one, up to ``MAX_REQUESTS`` requests or ``MAX_BYTES``
of bodies. A request whose token, signature or payload is wrong gets its own error and is left out; if
the shared transaction fails for another reason, its requests are written again one by one, so one
request's problem stays its own.

One drain task per event loop at a time, started by the first request that finds none running and
ending when nothing waits, so it needs no start-up hook (the test client runs a loop per request).
"""

from __future__ import annotations

import asyncio
import threading
import weakref
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import structlog
from sqlalchemy.orm import Session

from eventguard.alerts import integrations
from eventguard.alerts import service as alerts
from eventguard.alerts.models import Integration
from eventguard.clock import Clock
from eventguard.db import Database
from eventguard.errors import EventGuardError, Forbidden
from eventguard.events import service as events
from eventguard.i18n import Message
from eventguard.plugins import alert_formats

MAX_REQUESTS = 256
MAX_BYTES = 4 * 1024 * 1024

log = structlog.get_logger(__name__)

Outcome = alerts.IngestResult | Exception


@dataclass
class IntakeRequest:
    """What one intake request asks: its token, the endpoint's integration kind, a way to get the
    decoded body (JSON errors are reported after the token is checked) and an optional check of the
    integration (Grafana's signature)."""

    token: str | None
    kind: str
    payload: Callable[[], Any]
    check: Callable[[Integration], None] | None = None
    size: int = 0  # bytes of the body, for the limit on one transaction


@dataclass
class _Waiting:
    request: IntakeRequest
    future: asyncio.Future[alerts.IngestResult]


@dataclass
class _LoopState:
    queue: deque[_Waiting] = field(default_factory=deque)
    draining: bool = False
    task: asyncio.Task[None] | None = None  # the drain task, referenced so that it is not collected


class GroupCommitter:
    def __init__(self, database: Database, clock: Clock) -> None:
        self._database = database
        self._clock = clock
        self._states: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _LoopState] = (
            weakref.WeakKeyDictionary()
        )
        self._lock = threading.Lock()

    async def submit(self, request: IntakeRequest) -> alerts.IngestResult:
        """Accept the request's alerts; returns once they are committed, raises its own error otherwise."""
        loop = asyncio.get_running_loop()
        with self._lock:
            state = self._states.setdefault(loop, _LoopState())
        waiting = _Waiting(request, loop.create_future())
        state.queue.append(waiting)
        if not state.draining:
            state.draining = True
            state.task = loop.create_task(self._drain(state))
        # Shielded: a client that hangs up does not take its alerts out of a transaction being written.
        return await asyncio.shield(waiting.future)

    async def _drain(self, state: _LoopState) -> None:
        taken: list[_Waiting] = []
        try:
            while state.queue:
                taken = _take(state.queue)
                outcomes: list[Outcome]
                try:
                    outcomes = await asyncio.to_thread(self.commit, [w.request for w in taken])
                except Exception as exc:  # the thread could not run: nobody may wait forever
                    outcomes = [exc] * len(taken)
                for waiting, outcome in zip(taken, outcomes, strict=True):
                    _settle(waiting, outcome)
        finally:
            state.draining = False
            # Cancelled (the server is stopping): whoever still waits gets an answer, not a hang.
            stopped = RuntimeError("the intake stopped before this request was committed")
            for waiting in [*taken, *state.queue]:
                _settle(waiting, stopped)
            state.queue.clear()

    def commit(self, requests: Sequence[IntakeRequest]) -> list[Outcome]:
        """Write ``requests`` in one transaction; one outcome (result or error) per request, in order."""
        try:
            return self._commit_together(requests)
        except Exception as exc:
            if len(requests) == 1:
                log.exception("intake_commit_failed", error=repr(exc))
                return [exc]
        log.warning("intake_group_commit_failed", requests=len(requests))
        outcomes: list[Outcome] = []
        for request in requests:
            outcomes.extend(self.commit([request]))
        return outcomes

    def _commit_together(self, requests: Sequence[IntakeRequest]) -> list[Outcome]:
        outcomes: list[Outcome | None] = [None] * len(requests)
        with self._database.session(write=True) as db:
            by_event: dict[int, list[tuple[int, Integration, alerts.Submission]]] = {}
            known: dict[str | None, Integration | EventGuardError] = {}
            for index, request in enumerate(requests):
                try:
                    integration = _integration(db, request, known)
                    batch = alert_formats()[integration.kind].parse(
                        request.payload(), received_at=self._clock.now()
                    )
                except EventGuardError as exc:
                    outcomes[index] = exc
                    continue
                submission = alerts.Submission(
                    batch=batch, source=integration.kind, integration_id=integration.id
                )
                by_event.setdefault(integration.event_id, []).append((index, integration, submission))
            for event_id, entries in sorted(by_event.items()):
                self._ingest_event(db, event_id, entries, outcomes)
            db.commit()  # durable before anyone gets a 2xx
        assert all(outcome is not None for outcome in outcomes)
        return [outcome for outcome in outcomes if outcome is not None]

    def _ingest_event(
        self,
        db: Session,
        event_id: int,
        entries: list[tuple[int, Integration, alerts.Submission]],
        outcomes: list[Outcome | None],
    ) -> None:
        event = events.get(db=db, event_id=event_id)
        try:
            with db.begin_nested():
                results = alerts.ingest_many(
                    db=db, event=event, submissions=[s for _, _, s in entries], clock=self._clock
                )
        except EventGuardError as exc:  # e.g. no plan applied to the event: every request of it fails
            for index, _, _ in entries:
                outcomes[index] = exc
            return
        now = self._clock.now()
        for (index, integration, _), result in zip(entries, results, strict=True):
            integration.last_received_at = now
            outcomes[index] = result


def _integration(
    db: Session, request: IntakeRequest, known: dict[str | None, Integration | EventGuardError]
) -> Integration:
    found = known.get(request.token)
    if found is None:
        try:
            found = integrations.authenticate(db=db, token=request.token)
        except EventGuardError as exc:
            found = exc
        known[request.token] = found
    if isinstance(found, EventGuardError):
        raise found
    if found.kind != request.kind:
        raise Forbidden(
            Message("This token belongs to a {kind} integration.", {"kind": found.kind}),
            code="wrong_integration_kind",
            details={"integration_kind": found.kind, "endpoint": request.kind},
        )
    if request.check is not None:
        request.check(found)
    return found


def _take(queue: deque[_Waiting]) -> list[_Waiting]:
    taken = [queue.popleft()]
    size = taken[0].request.size
    while queue and len(taken) < MAX_REQUESTS and size + queue[0].request.size <= MAX_BYTES:
        taken.append(queue.popleft())
        size += taken[-1].request.size
    return taken


def _settle(waiting: _Waiting, outcome: Outcome) -> None:
    if waiting.future.done():
        return
    if isinstance(outcome, Exception):
        waiting.future.set_exception(outcome)
    else:
        waiting.future.set_result(outcome)
