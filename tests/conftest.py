"""Shared fixtures. Every test that takes ``database`` (or anything built on it) runs twice:
on a fresh SQLite file and on a fresh PostgreSQL schema, both migrated with Alembic."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

from eventguard.alerts.journal.process import ProcessReport
from eventguard.app import create_app
from eventguard.clock import FrozenClock
from eventguard.config import Settings
from eventguard.db import Database, migrate
from eventguard.db.registry import metadata
from eventguard.events.models import Event
from tests.pgserver import resolve_url

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE_PLAN = ROOT / "examples" / "plans" / "online-conference.yaml"
PG_URL = resolve_url()  # the configured PostgreSQL, or a throwaway one when none answers


def _pg_schema_url(schema: str) -> str:
    sep = "&" if "?" in PG_URL else "?"
    return f"{PG_URL}{sep}options=-csearch_path%3D{schema}"


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    """A migrated database of each kind, shared by the tests of one run and emptied after each test."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('sqlite') / 'eventguard.db'}"
        migrate.upgrade(url)
        db = Database(url)
        yield db
        db.dispose()
        return
    schema = f"eg_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = _pg_schema_url(schema)
    try:
        migrate.upgrade(url)
        db = Database(url)
        yield db
        db.dispose()
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def _empty_all_tables(database: Database) -> None:
    tables = [t for t in reversed(metadata.sorted_tables)]
    with database.engine.begin() as conn:
        if database.is_sqlite:
            for table in tables:
                conn.execute(table.delete())
        else:
            names = ", ".join(f'"{t.name}"' for t in tables)
            conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))


@pytest.fixture
def db(database: Database) -> Iterator[Session]:
    """A session on the parametrized database; all tables are emptied after the test."""
    with database.session() as session:
        yield session
    _empty_all_tables(database)


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(datetime(2026, 5, 20, 1, 0, tzinfo=UTC))


@pytest.fixture
def settings(database: Database) -> Settings:
    return Settings(database_url=database.url, secret_key="test-secret-key", base_url="http://testserver")


@pytest.fixture
def app(settings: Settings, database: Database, db: Session, clock: FrozenClock) -> FastAPI:
    return create_app(settings, database=database, clock=clock)


ProcessJournal = Callable[[], ProcessReport]


@pytest.fixture
def process_journal(app: FastAPI) -> ProcessJournal:
    """``process_journal()`` processes every accepted intake request now (what the journal
    processor of ``eventguard serve`` does moments after the answer); tests call it instead of
    waiting."""
    from eventguard.alerts.journal.process import process_pending

    return lambda: process_pending(database=app.state.db, clock=app.state.clock)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as test_client:
        yield test_client


# --- Domain fixtures shared by many test modules --------------------------------------------

LIVE_MOMENT = datetime(2026, 6, 16, 4, 0, tzinfo=UTC)  # 12:00 in Shanghai on day one: the live phase


@pytest.fixture
def example_source() -> str:
    return EXAMPLE_PLAN.read_text(encoding="utf-8")


@pytest.fixture
def event(db: Session, clock: FrozenClock, example_source: str) -> Event:
    """The example plan applied: the event cloud-summit-2026 (the clock starts in its prep phase)."""
    from eventguard.audit.service import Actor
    from eventguard.events import service as events
    from eventguard.plans import service as plans

    version = plans.apply_plan(
        db=db, source=example_source, filename=str(EXAMPLE_PLAN), actor=Actor.cli("test"), clock=clock
    )
    db.commit()
    found = events.get(db=db, event_id=version.event_id)
    db.commit()  # end the read so that this session sees what the app commits next (SQLite WAL snapshots)
    return found


AuthHeaders = Callable[[str], dict[str, str]]


@pytest.fixture
def auth_headers(db: Session, clock: FrozenClock) -> AuthHeaders:
    """``auth_headers("viewer")`` -> a Bearer header of a fresh user with that role (admin scope token)."""
    from eventguard.audit.service import Actor
    from eventguard.auth import service as auth
    from eventguard.auth.models import Role

    made: dict[str, dict[str, str]] = {}

    def _headers(role: str) -> dict[str, str]:
        if role not in made:
            user = auth.create_user(
                db=db,
                username=f"{role}-user",
                password="a long test password",
                role=Role(role),
                actor=Actor.cli("test"),
                clock=clock,
            )
            _token, secret = auth.create_token(
                db=db, user=user, name="test", scopes=["admin"], actor=Actor.cli("test"), clock=clock
            )
            db.commit()
            made[role] = {"Authorization": f"Bearer {secret}"}
        return made[role]

    return _headers
