"""`eventguard status …` and `eventguard backup …` against the test database."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import feedparser
import pytest
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from eventguard.cli.main import app
from eventguard.clock import FrozenClock
from eventguard.comms.backups import plans as backups
from eventguard.comms.updates import drafts as public
from eventguard.config import get_settings
from eventguard.db import Database
from eventguard.events.models import Event
from tests.comms.conftest import declare


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch, database: Database) -> Iterator[CliRunner]:
    monkeypatch.setenv("EVENTGUARD_DATABASE_URL", database.url)
    monkeypatch.setenv("EVENTGUARD_DEFAULT_LANGUAGE", "en")
    monkeypatch.setenv("EVENTGUARD_BASE_URL", "https://status.example.com")
    monkeypatch.setenv("EVENTGUARD_CONFIG_FILE", "/nonexistent/eventguard.toml")
    get_settings.cache_clear()
    yield CliRunner()
    get_settings.cache_clear()


def test_status_publish_writes_the_page_json_and_feed_as_static_files(
    cli: CliRunner, event: Event, tmp_path: Path
) -> None:
    result = cli.invoke(app, ["status", "publish", event.slug, "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    site = tmp_path / event.slug
    names = sorted(p.name for p in site.iterdir())
    assert names == [
        "feed.atom",
        "feed.en.atom",
        "feed.zh-CN.atom",
        "index.en.html",
        "index.html",
        "index.zh-CN.html",
        "summary.en.json",
        "summary.zh-CN.json",
    ]
    summary = json.loads((tmp_path / f"{event.slug}.json").read_text(encoding="utf-8"))
    assert summary["page"]["url"] == f"https://status.example.com/status/{event.slug}"
    page = (site / "index.html").read_text(encoding="utf-8")
    assert '<html lang="en">' in page and "<script" not in page
    assert 'href="index.zh-CN.html"' in page and 'href="feed.atom"' in page
    assert f'action="https://status.example.com/status/{event.slug}/subscribe"' in page
    assert not feedparser.parse((site / "feed.atom").read_bytes()).bozo
    again = cli.invoke(app, ["status", "publish", event.slug, "--out", str(tmp_path)])
    assert again.exit_code == 0 and "no change" in again.output


def test_backup_activate_and_deactivate_from_the_shell(
    cli: CliRunner, db: Session, event: Event, clock: FrozenClock, tmp_path: Path
) -> None:
    incident = declare(db, event, clock)
    on = cli.invoke(app, ["backup", "activate", str(incident.id), "backup-links", "--as", "zhang-wei"])
    assert on.exit_code == 0, on.output
    db.commit()
    (active,) = backups.list_active(db=db, event_id=event.id)
    assert active.backup_id == "backup-links" and active.activated_by == "zhang-wei"
    listed = cli.invoke(app, ["backup", "list", str(incident.id)])
    assert "backup-links" in listed.output and "yes" in listed.output
    cli.invoke(app, ["status", "publish", event.slug, "--out", str(tmp_path)])
    assert "https://summit.example.com/watch/guest" in (tmp_path / event.slug / "index.html").read_text()
    off = cli.invoke(app, ["backup", "deactivate", str(incident.id), "backup-links"])
    assert off.exit_code == 0, off.output
    db.commit()
    assert backups.list_active(db=db, event_id=event.id) == []
    unknown = cli.invoke(app, ["backup", "activate", str(incident.id), "teleporter"])
    assert unknown.exit_code == 1 and "no backup plan teleporter" in unknown.output


def test_status_update_drafts_and_publishes_from_the_shell(
    cli: CliRunner, db: Session, event: Event, clock: FrozenClock
) -> None:
    incident = declare(db, event, clock, level=2)
    result = cli.invoke(
        app, ["status", "update", str(incident.id), "--status", "identified", "--eta", "14:10", "--publish"]
    )
    assert result.exit_code == 0, result.output
    assert "we expect it back by 14:10" in result.output and "published" in result.output
    db.commit()
    (update,) = public.list_for_incident(db=db, incident_id=incident.id)
    assert update.status.value == "identified" and update.published_by == "cli"
