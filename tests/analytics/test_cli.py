"""`eventguard analytics`: the headline figures and the SLA rows as CSV."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

import pytest
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from eventguard.cli.main import app
from eventguard.config import get_settings
from eventguard.db import Database
from eventguard.events.models import Event
from tests.analytics.seed import seed


@pytest.fixture
def run(database: Database, db: Session, monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRunner]:
    monkeypatch.setenv("EVENTGUARD_DATABASE_URL", database.url)
    get_settings.cache_clear()
    yield CliRunner()
    get_settings.cache_clear()


def test_it_prints_mtta_mttr_and_the_sla_per_role(run: CliRunner, db: Session, event: Event) -> None:
    seed(db, event)
    result = run.invoke(app, ["analytics", "--event", "cloud-summit-2026"])
    assert result.exit_code == 0, result.output
    assert "MTTA 3 min" in result.output and "MTTR 60 min" in result.output
    assert "team:tech:lead" in result.output


def test_it_prints_the_sla_rows_as_csv(run: CliRunner, db: Session, event: Event) -> None:
    seed(db, event)
    result = run.invoke(app, ["analytics", "--csv", "--since", "2026-06-16", "--until", "2026-06-16"])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.output)))
    # 16 June only: A (tech met, comms late), B (tech met, comms breached), D (tech),
    # and G of the other event (met)
    assert rows[0]["target"] == "*" and rows[0]["met"] == "3" and rows[0]["rows"] == "6"


def test_a_bad_day_or_event_is_a_clear_error(run: CliRunner, event: Event) -> None:
    assert run.invoke(app, ["analytics", "--since", "June"]).exit_code == 2
    missing = run.invoke(app, ["analytics", "--event", "nope"])
    assert missing.exit_code == 1
