"""Fair turns at SQLite's write lock: a writer that commits and begins again at once cannot starve
another one, and a thread that nests write transactions gets an error rather than a hang."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from sqlalchemy import text

from eventguard.db import Database
from eventguard.db.writelock import NestedWriteTransaction


def _database(tmp_path: Path) -> Database:
    database = Database(f"sqlite:///{tmp_path / 'turns.db'}")
    with database.engine.begin() as conn:
        conn.execute(text("CREATE TABLE turns (id INTEGER PRIMARY KEY, who TEXT NOT NULL)"))
    return database


def test_a_busy_writer_takes_turns_with_a_waiting_one(tmp_path: Path) -> None:
    database = _database(tmp_path)
    stop, started = threading.Event(), threading.Event()

    def greedy() -> None:  # commits and begins again at once, holding the lock a little each time
        while not stop.is_set():
            with database.session(write=True) as db:
                db.execute(text("INSERT INTO turns (who) VALUES ('g')"))
                started.set()
                stop.wait(0.01)
                db.commit()

    thread = threading.Thread(target=greedy)
    thread.start()
    try:
        assert started.wait(10)
        for _ in range(20):
            with database.session(write=True) as db:
                db.execute(text("INSERT INTO turns (who) VALUES ('w')"))
                db.commit()
    finally:
        stop.set()
        thread.join(30)
    with database.session() as db:
        order = "".join(db.scalars(text("SELECT who FROM turns ORDER BY id")))
    database.dispose()
    # Between two turns of the waiting writer, the busy one had at most one turn, never a run of them.
    between = order[order.index("w") : order.rindex("w")].split("w")
    assert order.count("w") == 20 and max(len(run) for run in between) <= 1, order


def test_a_nested_write_transaction_in_one_thread_fails_at_once(tmp_path: Path) -> None:
    database = _database(tmp_path)
    with database.session(write=True) as outer:
        outer.execute(text("INSERT INTO turns (who) VALUES ('outer')"))
        with database.session(write=True) as inner, pytest.raises(NestedWriteTransaction):
            inner.execute(text("INSERT INTO turns (who) VALUES ('inner')"))
        outer.commit()
    with database.session(write=True) as again:  # the turn was given back: writing goes on
        again.execute(text("INSERT INTO turns (who) VALUES ('again')"))
        again.commit()
    with database.session() as db:
        assert list(db.scalars(text("SELECT who FROM turns ORDER BY id"))) == ["outer", "again"]
    database.dispose()
