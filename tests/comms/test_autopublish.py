"""The worker keeps the static status pages current: every event on the first pass, then only the
events whose public view changed, and never anything private."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from eventguard.cli.main import app
from eventguard.clock import FrozenClock
from eventguard.comms.backups import service as backups
from eventguard.comms.statuspage.static import AutoPublisher
from eventguard.config import Settings, get_settings
from eventguard.db import Database
from eventguard.events.models import Event
from eventguard.incidents import service as incidents
from eventguard.plans import service as plans
from eventguard.worker.context import WorkerContext
from eventguard.worker.loop import publish_status_pages, run_once
from tests.comms.conftest import BASE_URL, TESTER, declare, publish
from tests.conftest import EXAMPLE_PLAN

FILES_PER_EVENT = 9  # index, feed and summary in two languages, plus the three default-language copies


def _pass(publisher: AutoPublisher, database: Database, settings: Settings, clock: FrozenClock) -> list[Path]:
    return publisher.publish_changed(database=database, settings=settings, clock=clock)


def _everything_in(out: Path) -> str:
    return "\n".join(path.read_text(encoding="utf-8") for path in sorted(out.rglob("*")) if path.is_file())


def test_the_first_pass_writes_every_file_and_a_pass_without_change_writes_none(
    db: Session, database: Database, event: Event, clock: FrozenClock, settings: Settings, tmp_path: Path
) -> None:
    publisher = AutoPublisher(tmp_path)
    written = _pass(publisher, database, settings, clock)
    assert len(written) == FILES_PER_EVENT
    assert (tmp_path / f"{event.slug}.json").is_file() and (tmp_path / event.slug / "index.html").is_file()
    clock.advance(timedelta(seconds=5))
    assert _pass(publisher, database, settings, clock) == []


def test_a_restarted_publisher_writes_no_file_whose_bytes_are_unchanged(
    db: Session, database: Database, event: Event, clock: FrozenClock, settings: Settings, tmp_path: Path
) -> None:
    assert len(_pass(AutoPublisher(tmp_path), database, settings, clock)) == FILES_PER_EVENT
    assert _pass(AutoPublisher(tmp_path), database, settings, clock) == []


def test_a_published_update_rewrites_the_page_with_its_text(
    db: Session, database: Database, event: Event, clock: FrozenClock, settings: Settings, tmp_path: Path
) -> None:
    publisher = AutoPublisher(tmp_path)
    incident = declare(db, event, clock)
    _pass(publisher, database, settings, clock)
    page = tmp_path / event.slug / "index.en.html"
    assert "we expect it back by 14:10" not in page.read_text(encoding="utf-8")
    clock.advance(timedelta(minutes=1))
    publish(db, incident, clock, eta="14:10")
    written = _pass(publisher, database, settings, clock)
    assert page in written and tmp_path / f"{event.slug}.json" in written
    assert "we expect it back by 14:10" in page.read_text(encoding="utf-8")
    assert _pass(publisher, database, settings, clock) == []


def test_an_activated_backup_plan_rewrites_the_page(
    db: Session, database: Database, event: Event, clock: FrozenClock, settings: Settings, tmp_path: Path
) -> None:
    publisher = AutoPublisher(tmp_path)
    incident = declare(db, event, clock)
    _pass(publisher, database, settings, clock)
    clock.advance(timedelta(minutes=1))
    spec = plans.get_active_plan(db=db, event_id=event.id)
    backups.activate(
        db=db,
        incident=incident,
        spec=spec,
        backup_id="backup-links",
        base_url=BASE_URL,
        actor=TESTER,
        clock=clock,
    )
    db.commit()
    assert tmp_path / event.slug / "index.html" in _pass(publisher, database, settings, clock)
    assert "https://summit.example.com/watch/guest" in (tmp_path / event.slug / "index.html").read_text()


def test_a_private_note_never_reaches_the_files(
    db: Session, database: Database, event: Event, clock: FrozenClock, settings: Settings, tmp_path: Path
) -> None:
    publisher = AutoPublisher(tmp_path)
    incident = declare(db, event, clock)
    publish(db, incident, clock)
    _pass(publisher, database, settings, clock)
    marker = uuid.uuid4().hex[:12]
    incidents.add_note(db=db, incident=incident, text=f"private: {marker}", actor=TESTER, clock=clock)
    db.commit()
    assert _pass(publisher, database, settings, clock) == []  # the note is not part of the public view
    clock.advance(timedelta(minutes=1))
    incidents.add_note(db=db, incident=incident, text=f"later: {marker}", actor=TESTER, clock=clock)
    db.commit()
    assert _pass(publisher, database, settings, clock) == []  # nor is the time of a later one
    assert marker not in _everything_in(tmp_path)


def test_a_failing_event_is_retried_and_does_not_hold_up_the_others(
    db: Session,
    database: Database,
    event: Event,
    clock: FrozenClock,
    settings: Settings,
    tmp_path: Path,
    example_source: str,
) -> None:
    other = example_source.replace("slug: cloud-summit-2026", "slug: spring-launch-2026")
    plans.apply_plan(db=db, source=other, filename=str(EXAMPLE_PLAN), actor=TESTER, clock=clock)
    db.commit()
    (tmp_path / event.slug).write_text("in the way")  # the event's folder cannot be made
    publisher = AutoPublisher(tmp_path)
    written = _pass(publisher, database, settings, clock)
    assert len(written) == FILES_PER_EVENT and (tmp_path / "spring-launch-2026" / "index.html").is_file()
    (tmp_path / event.slug).unlink()
    again = _pass(publisher, database, settings, clock)
    assert {path.parent for path in again} == {tmp_path / event.slug}  # only the event that failed
    assert (tmp_path / event.slug / "index.html").is_file()


@pytest.fixture
def publishing_worker(clock: FrozenClock, settings: Settings, tmp_path: Path) -> Iterator[WorkerContext]:
    with httpx.Client() as http:
        configured = settings.model_copy(update={"status_publish_dir": tmp_path})
        yield WorkerContext(clock=clock, settings=configured, http=http, name="test-worker")


def test_a_worker_pass_publishes_at_most_once_a_second(
    db: Session,
    database: Database,
    event: Event,
    clock: FrozenClock,
    tmp_path: Path,
    publishing_worker: WorkerContext,
) -> None:
    assert len(run_once(database=database, context=publishing_worker).published) == FILES_PER_EVENT
    assert (tmp_path / event.slug / "index.html").is_file()
    declare(db, event, clock)  # (no further run_once: it would page the plan's real chat channels)
    assert publish_status_pages(database=database, context=publishing_worker) == []  # within the second
    clock.advance(timedelta(milliseconds=999))
    assert publish_status_pages(database=database, context=publishing_worker) == []
    clock.advance(timedelta(milliseconds=1))
    written = publish_status_pages(database=database, context=publishing_worker)
    assert tmp_path / event.slug / "index.html" in written


def test_a_worker_without_a_publish_dir_publishes_nothing(
    db: Session, database: Database, event: Event, clock: FrozenClock, settings: Settings
) -> None:
    with httpx.Client() as http:
        context = WorkerContext(clock=clock, settings=settings, http=http)
        assert context.publisher is None
        assert run_once(database=database, context=context).published == []


def test_the_publish_dir_comes_from_the_environment_and_an_empty_value_turns_it_off(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("EVENTGUARD_CONFIG_FILE", "/nonexistent/eventguard.toml")
    monkeypatch.setenv("EVENTGUARD_STATUS_PUBLISH_DIR", str(tmp_path))
    assert Settings().status_publish_dir == tmp_path
    assert Settings().masked()["status_publish_dir"] == str(tmp_path)  # `config show` prints it as JSON
    monkeypatch.setenv("EVENTGUARD_STATUS_PUBLISH_DIR", "")
    assert Settings().status_publish_dir is None


def test_worker_once_with_publish_dir_writes_the_files(
    monkeypatch: pytest.MonkeyPatch, database: Database, event: Event, tmp_path: Path
) -> None:
    monkeypatch.setenv("EVENTGUARD_DATABASE_URL", database.url)
    monkeypatch.setenv("EVENTGUARD_CONFIG_FILE", "/nonexistent/eventguard.toml")
    monkeypatch.setattr("eventguard.worker.cli.configure_logging", lambda *_: None)  # keep pytest's logging
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(app, ["worker", "--once", "--publish-dir", str(tmp_path / "site")])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    assert (tmp_path / "site" / event.slug / "index.zh-CN.html").is_file()
