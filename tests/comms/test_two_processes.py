"""The status page across processes (issue 12): `eventguard serve` runs as one process; a change made
by another process — `eventguard backup activate …`, or a pause written by this test process — is
on the very next GET (no stale first view), answered by serve's own HTTP protocol, on SQLite and
PostgreSQL. On PostgreSQL serve hears of the change by LISTEN/NOTIFY, which PostgreSQL delivers
after the commit (milliseconds; more on a loaded machine): there the next GET comes once
``NOTIFY_DELIVERY`` has passed — well inside the one second after which a stale-while-revalidate
answer (the defect) would show."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy.orm import Session

from eventguard.audit.service import Actor
from eventguard.clock import SystemClock
from eventguard.db import Database
from eventguard.events.models import Event
from eventguard.incidents import service as incidents
from eventguard.plans import service as plans

ROOT = Path(__file__).resolve().parents[2]
COMMANDER = Actor(type="user", name="li-na", id=None)
NOTIFY_DELIVERY = 0.25  # s: time allowed for PostgreSQL's NOTIFY to reach serve's listener


def _delivered(database: Database) -> None:
    """Wait for a change committed by this process to be announced to serve (PostgreSQL only)."""
    if not database.is_sqlite:
        time.sleep(NOTIFY_DELIVERY)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _env(database: Database, tmp_path: Path, port: int) -> dict[str, str]:
    return {
        **os.environ,
        "EVENTGUARD_DATABASE_URL": database.url,
        "EVENTGUARD_PORT": str(port),
        "EVENTGUARD_LOG_LEVEL": "WARNING",
        "EVENTGUARD_CONFIG_FILE": str(tmp_path / "none.toml"),
        "EVENTGUARD_BASE_URL": f"http://127.0.0.1:{port}",
    }


@pytest.fixture
def serve(database: Database, event: Event, tmp_path: Path) -> Iterator[tuple[str, dict[str, str]]]:
    """`eventguard serve --no-worker --no-journal` in a process of its own, ready."""
    port = _free_port()
    env = _env(database, tmp_path, port)
    process = subprocess.Popen(
        [sys.executable, "-m", "eventguard.cli.main", "serve", "--no-worker", "--no-journal"],
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline, ready = time.monotonic() + 90, False
        while time.monotonic() < deadline and not ready:
            assert process.poll() is None, process.stdout.read().decode() if process.stdout else ""
            try:
                ready = httpx.get(f"{base}/readyz", timeout=1).status_code == 200
            except httpx.HTTPError:
                time.sleep(0.1)
        assert ready
        yield base, env
    finally:
        process.terminate()
        process.communicate(timeout=30)


def _summary(client: httpx.Client, event: Event) -> dict[str, Any]:
    response = client.get(f"/status/{event.slug}.json", headers={"Accept-Language": "en"})
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    return body


def test_a_change_by_another_process_is_on_the_very_next_get(
    serve: tuple[str, dict[str, str]], database: Database, db: Session, event: Event
) -> None:
    base, env = serve
    clock = SystemClock()
    spec = plans.get_active_plan(db=db, event_id=event.id)
    incident = incidents.declare(
        db=db,
        event=event,
        spec=spec,
        title="Login service down",
        level=2,
        scenario_id="login-failure",
        core_functions=None,
        impact=None,
        phase="live",
        actor=COMMANDER,
        clock=clock,
    )
    db.commit()
    with httpx.Client(base_url=base, timeout=10) as client:
        for _ in range(3):  # rendered once, then answered from serve's memory
            assert _summary(client, event)["backup_plans"] == []
        activated = subprocess.run(
            [
                sys.executable,
                "-m",
                "eventguard.cli.main",
                "backup",
                "activate",
                str(incident.id),
                "backup-links",
            ],
            env=env,
            cwd=ROOT,
            capture_output=True,
            timeout=120,
        )
        assert activated.returncode == 0, activated.stdout + activated.stderr
        _delivered(database)
        first = _summary(client, event)  # the first view after the change, whatever the time since
        assert [plan["id"] for plan in first["backup_plans"]] == ["backup-links"]
        page = client.get(f"/status/{event.slug}?lang=en").text
        assert "No-login watch page" in page

        time.sleep(1.2)  # past the 1-second recheck: a stale-while-revalidate answer would show here
        assert first["paused"] is False
        incident = incidents.get(db=db, incident_id=incident.id, for_update=True)
        incidents.pause(db=db, incident=incident, actor=COMMANDER, clock=clock, reason="venue down")
        db.commit()
        _delivered(database)
        paused = _summary(client, event)
        assert paused["paused"] is True and paused["pause"]["title"] == "Cloud Summit 2026 is paused"
        incidents.resume(db=db, incident=incident, actor=COMMANDER, clock=clock, note="back")
        db.commit()
        _delivered(database)
        assert _summary(client, event)["paused"] is False
