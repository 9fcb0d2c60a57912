"""Which database failures recording a delivery's outcome tries again (notify/sender.py): a real
PostgreSQL deadlock and SQLite's busy database are transient, a constraint violation is not."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError, IntegrityError

from eventguard.notify.sender import _transient
from tests.conftest import PG_URL


@pytest.fixture
def pg() -> Iterator[Engine]:
    engine = create_engine(PG_URL)
    yield engine
    engine.dispose()


def _deadlock(engine: Engine) -> DBAPIError:
    """Two transactions that lock two advisory locks in opposite order: PostgreSQL ends one."""
    first_locked, second_locked = threading.Event(), threading.Event()
    failures: list[DBAPIError] = []

    def take(mine: int, theirs: int, locked: threading.Event, other: threading.Event) -> None:
        try:
            with engine.begin() as conn:
                conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": mine})
                locked.set()
                other.wait(10)
                conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": theirs})
        except DBAPIError as exc:
            failures.append(exc)

    threads = [
        threading.Thread(target=take, args=(71001, 71002, first_locked, second_locked)),
        threading.Thread(target=take, args=(71002, 71001, second_locked, first_locked)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert len(failures) == 1, failures
    return failures[0]


def test_a_postgresql_deadlock_is_transient_and_a_unique_violation_is_not(pg: Engine) -> None:
    deadlock = _deadlock(pg)
    assert getattr(deadlock.orig, "sqlstate", None) == "40P01"
    assert _transient(deadlock)
    with pytest.raises(IntegrityError) as caught, pg.begin() as conn:
        conn.execute(text("CREATE TEMPORARY TABLE u (id int PRIMARY KEY)"))
        conn.execute(text("INSERT INTO u VALUES (1), (1)"))
    assert not _transient(caught.value)


def test_sqlites_busy_database_is_transient(tmp_path: Path) -> None:
    path = tmp_path / "busy.db"
    holder = create_engine(f"sqlite:///{path}", connect_args={"isolation_level": None})
    other = create_engine(f"sqlite:///{path}", connect_args={"timeout": 0, "isolation_level": None})
    with holder.connect() as held:
        held.exec_driver_sql("CREATE TABLE t (id int)")
        held.exec_driver_sql("BEGIN IMMEDIATE")
        with pytest.raises(DBAPIError) as caught, other.connect() as conn:
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        held.exec_driver_sql("ROLLBACK")
    assert _transient(caught.value)
    holder.dispose()
    other.dispose()
