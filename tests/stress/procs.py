"""Real ``eventguard serve`` and ``eventguard worker`` processes for the stress tests, an event set
up with the stress plan, an alert sender that keeps streaming while processes die, and the waits
and counts the tests assert on (conditions with generous deadlines, never fixed sleeps)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import httpx
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from eventguard.alerts import integrations
from eventguard.alerts.journal.models import PENDING, JournalEntry
from eventguard.audit.service import Actor
from eventguard.clock import Clock
from eventguard.db import Database
from eventguard.events import service as events
from eventguard.events.models import Event
from eventguard.notify.models import Delivery, DeliveryStatus
from eventguard.outbox.models import OutboxMessage
from eventguard.plans import service as plans
from tests.alerts.builders import am_alert, am_payload
from tests.notify.receivers import free_port
from tests.stress.plans import SLUG

ROOT = Path(__file__).resolve().parents[2]


def wait_until(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def apply_stress_plan(db: Session, source: str, clock: Clock) -> tuple[Event, str]:
    """The plan applied and an Alertmanager integration of its event: (event, intake token)."""
    version = plans.apply_plan(
        db=db, source=source, filename="stress.yaml", actor=Actor.cli("test"), clock=clock
    )
    db.commit()
    event = events.get(db=db, event_id=version.event_id)
    _integration, token = integrations.create(
        db=db, event=event, name="prom", kind="alertmanager", actor=Actor.cli("test"), clock=clock
    )
    db.commit()
    return event, token


class Process:
    """One ``eventguard`` subprocess (``serve`` or ``worker``), its output in a log file."""

    def __init__(self, database: Database, home: Path, name: str, argv: list[str]) -> None:
        self.name, self.argv, self.database, self.home = name, argv, database, home
        self.popen: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None
        self.starts = 0

    @property
    def env(self) -> dict[str, str]:
        return {
            **os.environ,
            "EVENTGUARD_DATABASE_URL": self.database.url,
            "EVENTGUARD_LOG_LEVEL": "WARNING",
            "EVENTGUARD_CONFIG_FILE": str(self.home / "none.toml"),
            "EVENTGUARD_BASE_URL": "http://eventguard.test",
        }

    def start(self) -> Process:
        self.starts += 1
        self._log = open(self.home / f"{self.name}.{self.starts}.log", "wb")  # noqa: SIM115
        self.popen = subprocess.Popen(
            [sys.executable, "-m", "eventguard.cli.main", *self.argv],
            env=self.env,
            cwd=ROOT,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        return self

    def kill(self) -> None:
        """SIGKILL: no clean-up of any kind."""
        assert self.popen is not None
        self.popen.send_signal(signal.SIGKILL)
        self.popen.wait(timeout=30)
        self._close_log()

    def stop(self) -> None:
        if self.popen is not None and self.popen.poll() is None:
            self.popen.terminate()
            try:
                self.popen.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait(timeout=15)
        self._close_log()

    def alive(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def _close_log(self) -> None:
        if self._log is not None:
            self._log.close()
            self._log = None


class Api(Process):
    """``eventguard serve --no-worker``: accepting only (no journal processor, no worker)."""

    def __init__(self, database: Database, home: Path, name: str = "api") -> None:
        self.port = free_port()
        super().__init__(database, home, name, ["serve", "--no-worker", "--port", str(self.port)])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> Api:
        super().start()
        return self.wait_ready()

    def launch(self) -> Api:
        """Start without waiting (start several, then ``wait_ready`` each)."""
        super().start()
        return self

    def wait_ready(self) -> Api:
        deadline = time.monotonic() + 90
        while True:
            try:
                if httpx.get(f"{self.url}/readyz", timeout=2).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            assert self.alive(), f"{self.name} exited: see {self.home}"
            assert time.monotonic() < deadline, f"{self.name} did not become ready"
            time.sleep(0.1)


class Worker(Process):
    """``eventguard worker``: the journal processor and every background job. By default a short
    lease, so a delivery whose worker was killed mid-send is sent again within seconds; where no
    worker is killed, a lease that a worker slowed down by a loaded machine does not outlive (a
    claim that expires is sent again by the other worker: the at-least-once repeat a receiver
    drops, not what a test of exclusive claims should see)."""

    def __init__(self, database: Database, home: Path, name: str = "worker", lease: float = 3) -> None:
        super().__init__(database, home, name, ["worker", "--interval", "0.1", "--lease", f"{lease:g}"])


@dataclass
class Sender:
    """Streams Alertmanager requests (``per_request`` alerts, each with its own instance label, so
    each answered alert is its own stored row) over ``groups`` alert names, round-robin across the
    API URLs, from ``threads`` threads, until ``total`` alerts were sent; a request that fails
    (its server was killed) is counted, its alerts are not retried, and the thread waits for the
    server to be back before it streams on."""

    urls: list[str]
    token: str
    groups: int
    total: int
    per_request: int = 2
    threads: int = 2
    rate: float = 60.0  # alerts per second, all threads together: the stream spans the kills
    answered: list[str] = field(default_factory=list)  # instances of alerts answered 2xx
    failed: list[str] = field(default_factory=list)  # instances of alerts in requests that failed
    errors: list[str] = field(default_factory=list)  # non-2xx answers (a server bug, never a kill)
    _next: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _threads: list[threading.Thread] = field(default_factory=list)

    @property
    def sent(self) -> int:
        with self._lock:
            return len(self.answered) + len(self.failed)

    def start(self) -> Sender:
        for n in range(self.threads):
            thread = threading.Thread(target=self._run, args=(n,), daemon=True)
            thread.start()
            self._threads.append(thread)
        return self

    def join(self, timeout: float) -> None:
        for thread in self._threads:
            thread.join(timeout)
            assert not thread.is_alive(), "the sender did not finish"

    def group_of(self, instance: str) -> str:
        return f"Storm{int(instance.split('-')[1]) % self.groups:03d}"

    def _claim(self) -> list[str]:
        with self._lock:
            start = self._next
            end = min(start + self.per_request, self.total)
            self._next = end
            return [f"i-{n}" for n in range(start, end)]

    def _run(self, thread_number: int) -> None:
        headers = {"Authorization": f"Bearer {self.token}"}
        with httpx.Client(headers=headers, timeout=httpx.Timeout(15.0, connect=2.0)) as client:
            request, started = 0, time.monotonic()
            while instances := self._claim():
                ahead = started + (int(instances[0][2:]) / self.rate) - time.monotonic()
                if ahead > 0:
                    time.sleep(ahead)  # pacing (a fixed rate), not a wait for anything
                alerts = [am_alert(self.group_of(i), instance=i, event=SLUG) for i in instances]
                url = self.urls[(thread_number + request) % len(self.urls)]
                request += 1
                try:
                    answer = client.post(f"{url}/api/v1/integrations/alertmanager", json=am_payload(*alerts))
                except httpx.HTTPError:
                    with self._lock:
                        self.failed.extend(instances)
                    _wait_ready(client, url)  # killed: stream on once it is back
                    continue
                with self._lock:
                    if 200 <= answer.status_code < 300:
                        self.answered.extend(instances)
                    else:
                        self.failed.extend(instances)
                        self.errors.append(f"{answer.status_code} {answer.text[:200]}")


def _wait_ready(client: httpx.Client, url: str) -> None:
    def ready() -> bool:
        try:
            return client.get(f"{url}/readyz", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    wait_until(ready, 90, f"{url} to be back")


def count(database: Database, statement: Any) -> int:
    with database.session() as db:
        return int(db.scalar(statement) or 0)


PENDING_JOURNAL = select(func.count()).select_from(JournalEntry).where(JournalEntry.state == PENDING)
PENDING_OUTBOX = select(func.count()).select_from(OutboxMessage).where(OutboxMessage.processed_at.is_(None))
UNFINISHED_DELIVERIES = (
    select(func.count())
    .select_from(Delivery)
    .where(Delivery.status.in_([DeliveryStatus.pending, DeliveryStatus.sending]))
)


def settled(database: Database) -> bool:
    """Nothing left to do: the journal processed, the outbox handled, every delivery finished."""
    return (
        count(database, PENDING_JOURNAL) == 0
        and count(database, PENDING_OUTBOX) == 0
        and count(database, UNFINISHED_DELIVERIES) == 0
    )
