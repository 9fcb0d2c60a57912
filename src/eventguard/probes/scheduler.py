"""The probe scheduler: one asyncio loop (a thread of the worker) runs every active probe at its
interval — fixed rate, so a slow check does not push the next one later — with one shared httpx
client pool; results are written in batches (one transaction each ``flush_every``) and the plan is
read again every ``reload_every`` (a new plan version, a phase change, a pause take effect then).

A probe seen for the first time starts at a stable offset inside its interval (like Prometheus'
scrape offsets), so 2,000 probes of one plan do not all fire in the same millisecond. A probe whose
check is still running (or still waiting to start) when it is due again skips that turn (counted
in ``skipped``). At most ``max_in_flight`` checks run at once: a turn due while that many are
running waits in a first-in-first-out queue (counted in ``queued``) and starts as soon as a check
ends, its drift counted from when it was due. Under overload the scheduler so keeps a bounded number
of requests in flight instead of piling them up until every one times out (httpx's pool slows down
sharply with thousands of requests waiting in it, https://github.com/encode/httpx/issues/3215).
"""

from __future__ import annotations

import asyncio
import hashlib
import heapq
import threading
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from eventguard.clock import Clock
from eventguard.db import Database
from eventguard.logs import get_logger
from eventguard.probes import service
from eventguard.probes.checks import Clients, Memory, Outcome, Signals, run_check
from eventguard.probes.service import ActiveProbe, Recorded

log = get_logger("eventguard.probes")
Key = tuple[int, str]
Check = Callable[..., Awaitable[Outcome]]


@dataclass
class SchedulerStats:
    started: int = 0
    skipped: int = 0
    queued: int = 0  # turns that waited for a free slot (max_in_flight checks were running)
    written: int = 0
    alerts: int = 0
    drift: deque[float] = field(default_factory=lambda: deque(maxlen=100_000))  # seconds late


def _offset(key: Key, interval: timedelta) -> timedelta:
    digest = hashlib.blake2b(f"{key[0]}:{key[1]}".encode(), digest_size=4).digest()
    return interval * (int.from_bytes(digest, "big") / 2**32)


class ProbeScheduler:
    def __init__(
        self,
        *,
        database: Database,
        clock: Clock,
        clients: Clients | None = None,
        check: Check = run_check,
        reload_every: float = 5.0,
        flush_every: float = 0.5,
        spread: bool = True,
        on_alert: Callable[[], None] | None = None,
        max_in_flight: int = 200,
    ) -> None:
        self.database = database
        self.clock = clock
        self._clients = clients
        self._check = check
        self.reload_every = reload_every
        self.flush_every = flush_every
        self.spread = spread
        self.on_alert = on_alert
        self.max_in_flight = max_in_flight
        self.stats = SchedulerStats()
        self.active: dict[Key, ActiveProbe] = {}
        self.signals: dict[Key, Signals] = {}
        self.memory: dict[Key, Memory] = {}
        self.due: dict[Key, datetime] = {}
        self._heap: list[tuple[datetime, Key]] = []
        self._running: dict[Key, asyncio.Task[None]] = {}
        self._waiting: deque[tuple[datetime, Key]] = deque()  # turns due while the slots were full
        self._queued: set[Key] = set()
        self._pending: list[Recorded] = []

    @property
    def clients(self) -> Clients:
        if self._clients is None:
            self._clients = Clients.make()
        return self._clients

    # -- the plan side (blocking: called in a thread by the loop)

    def reload(self) -> None:
        """Read which probes run now, their pause flags and pushed signals."""
        with self.database.session(write=True) as db:
            found = service.active_probes(db=db, clock=self.clock)
            states = {a.state_id: a for a in found}
            signals = service.signals_by_state(db=db, state_ids=list(states))
            db.commit()
        now = self.clock.now()
        active = {a.key: a for a in found if not a.paused}
        for key in set(self.due) - set(active):
            self.due.pop(key, None)
            self.memory.pop(key, None)
        for key, probe in active.items():
            interval = probe.probe.interval_in(probe.phase)
            if key not in self.due:
                self.due[key] = now + (_offset(key, interval) if self.spread else timedelta(0))
                heapq.heappush(self._heap, (self.due[key], key))
            old = self.active.get(key)
            if old is not None and old.probe.interval_in(old.phase) != interval:  # a phase change
                self.due[key] = min(self.due[key], now + interval)
                heapq.heappush(self._heap, (self.due[key], key))
        self.active = active
        self.signals = {a.key: signals.get(a.state_id, Signals()) for a in found}

    def flush(self) -> list[tuple[str, str]]:
        """Write the results gathered so far in one transaction; the alerts raised."""
        taken, self._pending = self._pending, []
        if not taken:
            return []
        with self.database.session(write=True) as db:
            raised = service.record_outcomes(db=db, results=taken)
            db.commit()
        self.stats.written += len(taken)
        if raised:
            self.stats.alerts += len(raised)
            log.info("probe_alerts", alerts=raised)
            if self.on_alert is not None:
                self.on_alert()
        return raised

    # -- the loop side

    def _start_due(self, now: datetime) -> None:
        while self._waiting and len(self._running) < self.max_in_flight:
            due_at, key = self._waiting.popleft()
            self._queued.discard(key)
            if key in self.active and key not in self._running:
                self._launch(key, due_at, now)
        while self._heap and self._heap[0][0] <= now:
            due_at, key = heapq.heappop(self._heap)
            if self.due.get(key) != due_at or key not in self.active:
                continue  # a stale heap entry (rescheduled or removed)
            probe = self.active[key]
            interval = probe.probe.interval_in(probe.phase)
            following = due_at + interval
            if following <= now:  # far behind (a stalled loop): skip the missed turns
                following = now + interval
            self.due[key] = following
            heapq.heappush(self._heap, (following, key))
            if key in self._running or key in self._queued:
                self.stats.skipped += 1
                continue
            if len(self._running) >= self.max_in_flight:
                self.stats.queued += 1
                self._waiting.append((due_at, key))
                self._queued.add(key)
                continue
            self._launch(key, due_at, now)

    def _launch(self, key: Key, due_at: datetime, now: datetime) -> None:
        self.stats.started += 1
        self.stats.drift.append((now - due_at).total_seconds())
        self._running[key] = asyncio.ensure_future(self._run(self.active[key], now))

    async def _run(self, probe: ActiveProbe, started: datetime) -> None:
        key = probe.key
        try:
            outcome = await self._check(
                probe.probe,
                clients=self.clients,
                memory=self.memory.setdefault(key, Memory()),
                signals=self.signals.get(key, Signals()),
                now=started,
                phase=probe.phase,
            )
            self._pending.append(Recorded(probe, outcome, self.clock.now()))
        finally:
            self._running.pop(key, None)

    def _next_wake(self) -> float:
        if self._waiting and len(self._running) < self.max_in_flight:
            return 0.001
        if self._waiting:
            return 0.005  # a slot frees when a check ends
        if not self._heap:
            return 0.25
        wait = (self._heap[0][0] - self.clock.now()).total_seconds()
        return min(max(wait, 0.001), 0.25)

    async def tick(self) -> list[tuple[str, str]]:
        """Tests and ``eventguard probe run``: read the plan, run every probe due now to its end,
        write the results; the alerts raised."""
        await asyncio.to_thread(self.reload)
        self._start_due(self.clock.now())
        while self._running:  # and the turns that wait for a slot, as slots free
            await asyncio.gather(*list(self._running.values()))
            self._start_due(self.clock.now())
        return await asyncio.to_thread(self.flush)

    def run_once(self) -> list[tuple[str, str]]:
        """``tick`` on a loop of its own, with HTTP clients of that loop (closed after)."""

        async def _once() -> list[tuple[str, str]]:
            self._clients = Clients.make()
            try:
                return await self.tick()
            finally:
                await self._clients.aclose()
                self._clients = None

        return asyncio.run(_once())

    async def run(self, stop: threading.Event) -> None:
        """Until ``stop`` is set; errors of one pass are logged and the next pass retries."""
        last_reload = last_flush = 0.0
        try:
            while not stop.is_set():
                tick = time.monotonic()
                try:
                    if tick - last_reload >= self.reload_every:
                        last_reload = tick
                        await asyncio.to_thread(self.reload)
                    self._start_due(self.clock.now())
                    if self._pending and tick - last_flush >= self.flush_every:
                        last_flush = tick
                        await asyncio.to_thread(self.flush)
                except Exception:
                    log.exception("probe_scheduler_pass_failed")
                await asyncio.sleep(self._next_wake())
        finally:
            for task in list(self._running.values()):
                task.cancel()
            if self._running:
                await asyncio.gather(*self._running.values(), return_exceptions=True)
            try:
                self.flush()
            finally:
                if self._clients is not None:
                    await self._clients.aclose()

    def run_forever(self, stop: threading.Event) -> None:
        """The worker thread's target."""
        asyncio.run(self.run(stop))


def drift_p99(stats: SchedulerStats) -> float:
    values = sorted(stats.drift)
    if not values:
        return 0.0
    return values[min(len(values) - 1, int(len(values) * 0.99))]
