"""`eventguard demo` as the README runs it (through `make demo`): it prepares the example event and
serves — a real process answering /readyz and the status page, with alerts processed."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]


def test_the_demo_prepares_and_serves(tmp_path: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {
        **os.environ,
        "EVENTGUARD_DATABASE_URL": f"sqlite:///{tmp_path / 'demo.db'}",
        "EVENTGUARD_PORT": str(port),
        "EVENTGUARD_LOG_LEVEL": "WARNING",
        "EVENTGUARD_CONFIG_FILE": str(tmp_path / "none.toml"),
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "eventguard.cli.main", "demo"],
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline, ready = time.monotonic() + 60, False
        while time.monotonic() < deadline and not ready:
            assert process.poll() is None, process.stdout.read().decode() if process.stdout else ""
            try:
                ready = httpx.get(f"{base}/readyz", timeout=1).status_code == 200
            except httpx.HTTPError:
                time.sleep(0.2)
        assert ready
        assert httpx.get(f"{base}/status/cloud-summit-2026", timeout=5).status_code == 200
    finally:
        process.terminate()
        output = process.communicate(timeout=20)[0].decode()
    assert "login    user admin  password" in output
    _the_demo_ships_a_finished_drill_and_a_postmortem(env["EVENTGUARD_DATABASE_URL"])


def _the_demo_ships_a_finished_drill_and_a_postmortem(url: str) -> None:
    """Made through the services (answers, scoring, incident timeline, versions), not inserted rows."""
    from sqlalchemy import select

    from eventguard.db import Database
    from eventguard.drills.models import DrillAnswer, DrillRun, DrillStatus
    from eventguard.incidents.models import Incident, TimelineEntry
    from eventguard.reviews.models import ActionItem, Postmortem, PostmortemVersion

    database = Database(url)
    try:
        with database.session() as db:
            (run,) = db.scalars(select(DrillRun)).all()
            assert run.status is DrillStatus.finished and run.score == 83 and run.passed
            assert len(db.scalars(select(DrillAnswer)).all()) == 3
            (postmortem,) = db.scalars(select(Postmortem)).all()
            incident = db.get_one(Incident, postmortem.incident_id)
            assert incident.is_drill and incident.status.value == "resolved"
            kinds = [
                e.kind
                for e in db.scalars(select(TimelineEntry).where(TimelineEntry.incident_id == incident.id))
            ]
            frozen = [e["kind"] for e in postmortem.timeline]  # the worker adds its notifications later
            assert "progress" in frozen and frozen == kinds[: len(frozen)]
            assert postmortem.document["sections"]["summary"]  # pre-filled from the incident
            assert postmortem.version == 2 and len(db.scalars(select(PostmortemVersion)).all()) == 2
            assert db.scalars(select(ActionItem)).one().postmortem_id == postmortem.id
    finally:
        database.dispose()
