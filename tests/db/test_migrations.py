"""Migrations bring both databases to the models' schema."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import text

from eventguard.db import Database
from eventguard.db.migrate import head_revision, is_at_head
from eventguard.db.registry import metadata


def test_it_is_at_head_after_upgrade(database: Database) -> None:
    assert head_revision() is not None
    assert is_at_head(database.engine)


def test_the_migrated_schema_matches_the_models(database: Database) -> None:
    with database.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(context, metadata)
    assert diff == []


def test_sqlite_runs_in_wal_mode_with_foreign_keys(database: Database) -> None:
    if not database.is_sqlite:
        assert database.engine.dialect.name == "postgresql"
        return
    with database.engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
