"""A worker killed (SIGKILL) mid-delivery and restarted: every message arrives, and a receiver
that de-duplicates by ``webhook-id`` processes each exactly once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from eventguard.clock import SystemClock
from eventguard.db import Database
from eventguard.notify import deliveries
from eventguard.notify.channels.base import Notification
from eventguard.notify.models import Delivery, DeliveryStatus
from tests.notify.receivers import HttpReceiver, Reply

ROOT = Path(__file__).resolve().parents[2]
MESSAGES = 12


def _worker(database: Database, tmp_path: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "EVENTGUARD_DATABASE_URL": database.url,
        "EVENTGUARD_LOG_LEVEL": "WARNING",
        "EVENTGUARD_CONFIG_FILE": str(tmp_path / "none.toml"),
    }
    return subprocess.Popen(
        [sys.executable, "-m", "eventguard.cli.main", "worker", "--interval", "0.1", "--lease", "2"],
        env=env,
        cwd=ROOT,
    )


def _wait(condition, timeout: float) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_a_worker_killed_mid_delivery_loses_nothing_and_duplicates_are_droppable(
    db: Session, database: Database, http_receiver: HttpReceiver, tmp_path: Path
) -> None:
    http_receiver.answer_with(lambda request: Reply(200, b"{}", delay=0.3))
    keys = []
    for n in range(MESSAGES):
        key = deliveries.new_key()
        keys.append(key)
        note = Notification(
            idempotency_key=key,
            topic="test.message",
            title=f"message {n}",
            text="t",
            markdown="m",
            language="en",
        )
        deliveries.enqueue(
            db=db,
            channel_kind="webhook",
            address=f"{http_receiver.url}/hook",
            notification=note,
            purpose="test",
            clock=SystemClock(),
        )
    db.commit()
    first = _worker(database, tmp_path)
    try:
        _wait(lambda: len(http_receiver.requests) >= 3, timeout=30)
        first.send_signal(signal.SIGKILL)  # mid-request: the receiver has it, the worker never records it
        first.wait(timeout=10)
    finally:
        if first.poll() is None:
            first.kill()
    second = _worker(database, tmp_path)
    try:

        def all_delivered() -> bool:
            db.commit()
            pending = db.scalar(select(func.count()).where(Delivery.status != DeliveryStatus.delivered))
            return pending == 0

        _wait(all_delivered, timeout=60)
    finally:
        second.terminate()
        second.wait(timeout=10)
    received = [request.headers["webhook-id"] for request in http_receiver.requests]
    assert set(received) == set(keys)  # nothing lost
    processed = set(received)  # what a receiver de-duplicating on webhook-id acts on: each once
    assert len(processed) == MESSAGES
    assert len(received) >= MESSAGES  # at least once: the killed send may arrive twice
