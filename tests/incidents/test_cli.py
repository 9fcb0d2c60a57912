"""`eventguard integration …` and `eventguard incident …` against the test database."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from eventguard.cli.main import app
from eventguard.config import get_settings
from eventguard.db import Database
from eventguard.events.models import Event
from eventguard.incidents.models import Incident, IncidentStatus


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch, database: Database, tmp_path: object) -> CliRunner:
    monkeypatch.setenv("EVENTGUARD_DATABASE_URL", database.url)
    monkeypatch.setenv("EVENTGUARD_DEFAULT_LANGUAGE", "en")
    monkeypatch.setenv("EVENTGUARD_CONFIG_FILE", "/nonexistent/eventguard.toml")
    get_settings.cache_clear()
    yield CliRunner()
    get_settings.cache_clear()


def test_integration_create_prints_the_token_once(cli: CliRunner, event: Event) -> None:
    result = cli.invoke(
        app, ["integration", "create", event.slug, "--kind", "alertmanager", "--name", "Prom"]
    )
    assert result.exit_code == 0, result.output
    token = result.output.splitlines()[1].strip()
    assert len(token) == 32
    listed = cli.invoke(app, ["integration", "list", event.slug])
    assert "Prom" in listed.output and token not in listed.output


def test_an_unknown_kind_is_a_clear_error_not_a_traceback(cli: CliRunner, event: Event) -> None:
    result = cli.invoke(app, ["integration", "create", event.slug, "--kind", "nagios", "--name", "x"])
    assert result.exit_code == 1
    assert "Unknown integration kind nagios" in result.output
    assert "Traceback" not in result.output


def test_declare_ack_and_resolve_from_the_shell(cli: CliRunner, event: Event, db: Session) -> None:
    declared = cli.invoke(
        app,
        [
            "incident",
            "declare",
            event.slug,
            "--title",
            "PR crisis",
            "--level",
            "1",
            "--scenario",
            "participant-dispute",
            "--as",
            "li-na",
        ],
    )
    assert declared.exit_code == 0, declared.output
    incident = db.scalars(select(Incident)).one()
    db.commit()
    assert cli.invoke(app, ["incident", "ack", str(incident.id)]).exit_code == 0
    illegal = cli.invoke(app, ["incident", "status", str(incident.id), "triggered"])
    assert illegal.exit_code == 1 and "cannot go from acknowledged to triggered" in illegal.output
    assert cli.invoke(app, ["incident", "resolve", str(incident.id), "--note", "done"]).exit_code == 0
    db.refresh(incident)
    assert incident.status is IncidentStatus.resolved and incident.declared_by == "li-na"
