"""`eventguard oncall …` against the test database, with the clock frozen."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from eventguard import cli_context
from eventguard.cli.main import app
from eventguard.clock import FrozenClock
from eventguard.config import get_settings
from eventguard.db import Database
from eventguard.events.models import Event
from eventguard.oncall import cli as oncall_cli
from eventguard.oncall import service


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch, database: Database, clock: FrozenClock) -> Iterator[CliRunner]:
    monkeypatch.setenv("EVENTGUARD_DATABASE_URL", database.url)
    monkeypatch.setenv("EVENTGUARD_DEFAULT_LANGUAGE", "en")
    monkeypatch.setenv("EVENTGUARD_CONFIG_FILE", "/nonexistent/eventguard.toml")
    monkeypatch.setenv("EVENTGUARD_SECRET_KEY", "cli-test-secret-key")
    monkeypatch.setenv("EVENTGUARD_BASE_URL", "https://eg.example.com")
    # rich tables stay on one line (the console reads COLUMNS once, when it is made)
    monkeypatch.setattr(cli_context.console, "width", 200)
    monkeypatch.setattr(oncall_cli, "CLOCK", clock)
    get_settings.cache_clear()
    yield CliRunner()
    get_settings.cache_clear()


def test_oncall_now_shows_every_team_and_why(cli: CliRunner, event: Event) -> None:
    result = cli.invoke(app, ["oncall", "now", event.slug])
    assert result.exit_code == 0, result.output
    assert "Technical team" in result.output and "Zhang Wei" in result.output
    assert "the team lead" in result.output and "the schedule" in result.output
    one = cli.invoke(app, ["oncall", "now", event.slug, "--team", "ops"])
    assert "Wang Qiang" in one.output and "Technical team" not in one.output
    unknown = cli.invoke(app, ["oncall", "now", event.slug, "--team", "nope"])
    assert unknown.exit_code == 1 and 'The plan has no team "nope"' in unknown.output


def test_oncall_shifts_lists_the_coming_shifts_in_local_time(cli: CliRunner, event: Event) -> None:
    result = cli.invoke(
        app, ["oncall", "shifts", event.slug, "ops-oncall", "--days", "2"], terminal_width=200
    )
    assert result.exit_code == 0, result.output
    assert "2026-05-20 Wed 10:00 CST" in result.output  # the handoff to Emily Carter
    assert "Emily Carter" in result.output and "Asia/Shanghai" in result.output


def test_overrides_are_created_listed_and_deleted_from_the_shell(
    cli: CliRunner, event: Event, db: Session
) -> None:
    created = cli.invoke(
        app,
        [
            "oncall", "override", "create", event.slug, "tech-oncall", "chen-jie",
            "--start", "2026-05-20T12:00:00+08:00", "--end", "2026-05-20T18:00:00+08:00",
            "--reason", "swap", "--as", "li-na",
        ],
    )  # fmt: skip
    assert created.exit_code == 0, created.output
    override_id = int(created.output.strip())
    listed = cli.invoke(app, ["oncall", "override", "list", event.slug])
    assert "Chen Jie" in listed.output and "swap" in listed.output and "12:00" in listed.output
    deleted = cli.invoke(app, ["oncall", "override", "delete", str(override_id), "--as", "li-na"])
    assert deleted.exit_code == 0, deleted.output
    db.rollback()
    assert service.list_overrides(db=db, event_id=event.id) == []
    again = cli.invoke(app, ["oncall", "override", "delete", str(override_id)])
    assert again.exit_code == 1 and f"No on-call override {override_id}" in again.output


def test_a_bad_override_time_is_a_clear_error_not_a_traceback(cli: CliRunner, event: Event) -> None:
    for start, message in [
        ("tomorrow", "Invalid start time tomorrow"),
        ("2026-05-21T10:00", "needs a UTC offset"),
    ]:
        result = cli.invoke(
            app,
            ["oncall", "override", "create", event.slug, "tech-oncall", "chen-jie", "--start", start,
             "--end", "2026-05-21T12:00:00+08:00"],
        )  # fmt: skip
        assert result.exit_code == 1 and message in result.output and "Traceback" not in result.output


def test_oncall_feed_url_prints_a_signed_url(cli: CliRunner, event: Event) -> None:
    result = cli.invoke(app, ["oncall", "feed-url", event.slug, "--person", "zhao-min"])
    assert result.exit_code == 0, result.output
    url = result.output.strip()
    assert url.startswith("https://eg.example.com/ical/cloud-summit-2026/people/zhao-min.ics?token=")
    both = cli.invoke(
        app, ["oncall", "feed-url", event.slug, "--person", "zhao-min", "--schedule", "ops-oncall"]
    )
    assert both.exit_code == 1 and "exactly one of" in both.output
