"""The suite's own PostgreSQL fallback: with nothing answering at the configured URL, a throwaway
server is started from Debian's binaries and answers SQL."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text

from tests.pgserver import _free_port, resolve_url


def test_a_throwaway_postgresql_starts_when_none_answers(monkeypatch: pytest.MonkeyPatch) -> None:
    dead = f"postgresql+psycopg://postgres@127.0.0.1:{_free_port()}/test"
    monkeypatch.setenv("EVENTGUARD_TEST_PG_URL", dead)
    url = resolve_url()
    assert url != dead
    engine = create_engine(url)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT current_database()")).scalar_one() == "test"
    engine.dispose()


def test_a_postgresql_that_answers_is_used_as_configured(monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.conftest import PG_URL

    monkeypatch.setenv("EVENTGUARD_TEST_PG_URL", PG_URL)
    assert resolve_url() == PG_URL
