"""Real server processes killed with SIGKILL: between accept and process, and in the middle of a
stream being processed. Every request answered 2xx is processed exactly once after a restart, on
SQLite and on PostgreSQL."""

from __future__ import annotations

import os
import random
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx
from sqlalchemy import ColumnElement, Select, func, select
from sqlalchemy.orm import Session

from eventguard.alerts import integrations
from eventguard.alerts.journal.models import PENDING, JournalEntry
from eventguard.alerts.models import Alert
from eventguard.audit.service import Actor
from eventguard.clock import FrozenClock
from eventguard.db import Database
from eventguard.events.models import Event
from eventguard.incidents.models import Incident
from tests.alerts.builders import am_alert, am_payload

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _serve(database: Database, tmp_path: Path, port: int, *flags: str) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "EVENTGUARD_DATABASE_URL": database.url,
        "EVENTGUARD_LOG_LEVEL": "WARNING",
        "EVENTGUARD_CONFIG_FILE": str(tmp_path / "none.toml"),
    }
    journal = [] if "--no-journal" in flags else ["--journal"]  # --no-worker alone processes nothing
    argv = [
        sys.executable,
        "-m",
        "eventguard.cli.main",
        "serve",
        "--port",
        str(port),
        "--no-worker",
        *journal,
        *flags,
    ]
    process = subprocess.Popen(argv, env=env, cwd=ROOT)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1).status_code == 200:
                return process
        except httpx.HTTPError:
            pass
        assert process.poll() is None, "the server exited"
        time.sleep(0.1)
    process.kill()
    raise AssertionError("the server did not become ready")


def _kill(process: subprocess.Popen[bytes]) -> None:
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=10)


def _wait_until(condition: Callable[[], bool], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def _scalar(database: Database, statement: Select[tuple[int]]) -> int:
    with database.session() as db:
        return int(db.scalar(statement) or 0)


def _rows(model: type[object], *where: ColumnElement[bool]) -> Select[tuple[int]]:
    return select(func.count()).select_from(model).where(*where)


PENDING_ROWS = _rows(JournalEntry, JournalEntry.state == PENDING)
RECEIPTS = select(func.sum(Alert.receive_count))


def _token(db: Session, event: Event, clock: FrozenClock) -> str:
    _integration, token = integrations.create(
        db=db, event=event, name="prom", kind="alertmanager", actor=Actor.cli("test"), clock=clock
    )
    db.commit()
    return token


def test_requests_accepted_before_a_kill_are_processed_once_after_the_restart(
    db: Session, database: Database, event: Event, clock: FrozenClock, tmp_path: Path
) -> None:
    token = _token(db, event, clock)
    port = _free_port()
    accepting = _serve(database, tmp_path, port, "--no-journal")  # accepts, never processes
    headers = {"Authorization": f"Bearer {token}"}
    sent = 0
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", headers=headers, timeout=10) as client:
            for n in range(40):
                alerts = [am_alert("DDoSDetected", instance=f"edge-{n}-{i}") for i in range(3)]
                answer = client.post("/api/v1/integrations/alertmanager", json=am_payload(*alerts))
                assert answer.status_code == 200, answer.text
                sent += 3
    finally:
        _kill(accepting)  # between accept and process
    assert _scalar(database, PENDING_ROWS) == 40
    assert _scalar(database, _rows(Alert)) == 0

    processing = _serve(database, tmp_path, _free_port())
    try:
        _wait_until(lambda: _scalar(database, PENDING_ROWS) == 0)
    finally:
        _kill(processing)
    assert _scalar(database, _rows(Alert)) == sent
    assert _scalar(database, RECEIPTS) == sent  # each report applied once
    assert _scalar(database, _rows(Incident)) == 1


def test_a_server_killed_while_it_processes_a_stream_loses_and_repeats_nothing(
    db: Session, database: Database, event: Event, clock: FrozenClock, tmp_path: Path
) -> None:
    """A stream of repeats of the same alerts (receive counts must add up exactly: a batch applied
    twice would count twice), with the processing server killed at random moments."""
    token = _token(db, event, clock)
    rng = random.Random(20261202)
    headers = {"Authorization": f"Bearer {token}"}
    accepted = 0
    for _round in range(3):
        port = _free_port()
        server = _serve(database, tmp_path, port)
        try:
            with httpx.Client(base_url=f"http://127.0.0.1:{port}", headers=headers, timeout=10) as client:
                for n in range(rng.randint(30, 60)):
                    alert = am_alert("PaymentErrorRate", instance=f"pay-{n % 7}")
                    answer = client.post("/api/v1/integrations/alertmanager", json=am_payload(alert))
                    assert answer.status_code == 200, answer.text
                    accepted += 1
        finally:
            time.sleep(rng.random() * 0.05)  # somewhere in the processing of the last batches
            _kill(server)
    final = _serve(database, tmp_path, _free_port())
    try:
        _wait_until(lambda: _scalar(database, PENDING_ROWS) == 0)
    finally:
        _kill(final)
    assert _scalar(database, RECEIPTS) == accepted
    assert _scalar(database, _rows(Alert)) == 7
    assert _scalar(database, _rows(Incident)) == 1
