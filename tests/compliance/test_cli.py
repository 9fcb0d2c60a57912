"""`eventguard compliance mark | list | draft | sent` against the test database (a real process)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from sqlalchemy.orm import Session

from eventguard.clock import FrozenClock
from eventguard.compliance import service
from eventguard.db import Database
from eventguard.events.models import Event
from tests.compliance.test_deadlines import _leak

EVENTGUARD = str(Path(__file__).resolve().parents[2] / ".venv" / "bin" / "eventguard")


def test_the_command_line_marks_lists_drafts_and_records(
    db: Session, database: Database, clock: FrozenClock, event: Event
) -> None:
    incident = _leak(db, event, clock)
    env = {**os.environ, "EVENTGUARD_DATABASE_URL": database.url, "EVENTGUARD_DEFAULT_LANGUAGE": "en"}

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([EVENTGUARD, "compliance", *args], capture_output=True, text=True, env=env)

    marked = run("mark", str(incident.id), "--grade", "major", "--eu", "--as", "wu-hao")
    assert marked.returncode == 0, marked.stderr
    assert "cn-cac-other" in marked.stdout and "eu-gdpr-33" in marked.stdout and "cn-pipl-57" in marked.stdout
    db.commit()  # a new transaction: see what the command committed (SQLite WAL snapshots)
    db.expire_all()
    gdpr = next(d for d in service.deadlines_of(db=db, incident_id=incident.id) if d.rule_id == "eu-gdpr-33")
    listed = run("list", str(incident.id))
    assert listed.returncode == 0 and "eu-gdpr-33" in listed.stdout
    draft = run("draft", str(gdpr.id))
    assert draft.returncode == 0 and "The likely consequences" in draft.stdout
    sent = run("sent", str(gdpr.id), "--by", "Wu Hao", "--to", "Irish DPC", "--partial")
    assert sent.returncode == 0, sent.stderr
    db.commit()  # a new transaction: see what the command committed (SQLite WAL snapshots)
    db.expire_all()
    assert service.get_deadline(db=db, deadline_id=gdpr.id).sent_to == "Irish DPC"
    again = run("mark", str(incident.id), "--grade", "major")
    assert again.returncode == 1 and "already" in again.stderr
