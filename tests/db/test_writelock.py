"""Fair turns at SQLite's write lock: a writer that commits and begins again at once cannot starve
another one, and a writer that cannot get a turn (here: a thread nesting write transactions) gets
an error rather than a hang."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from sqlalchemy import text

from eventguard.db import Database, writelock
from eventguard.db.writelock import WriteTurnTimeout


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


def test_a_writer_that_never_gets_its_turn_fails_instead_of_hanging(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(writelock, "TURN_TIMEOUT_S", 0.3)
    database = _database(tmp_path)
    with database.session(write=True) as outer:  # a second write transaction in the same thread
        outer.execute(text("INSERT INTO turns (who) VALUES ('outer')"))
        with database.session(write=True) as inner, pytest.raises(WriteTurnTimeout):
            inner.execute(text("INSERT INTO turns (who) VALUES ('inner')"))
        outer.commit()
    with database.session(write=True) as again:  # the turn was given back: writing goes on
        again.execute(text("INSERT INTO turns (who) VALUES ('again')"))
        again.commit()
    with database.session() as db:
        assert list(db.scalars(text("SELECT who FROM turns ORDER BY id"))) == ["outer", "again"]
    database.dispose()


def test_a_transaction_ended_on_another_thread_gives_its_turn_back(tmp_path: Path) -> None:
    """FastAPI begins a request's transaction on one thread and may end it on another."""
    database = _database(tmp_path)
    session_cm = database.session(write=True)
    db = session_cm.__enter__()
    db.execute(text("INSERT INTO turns (who) VALUES ('dropped')"))  # begins here, never committed
    closer = threading.Thread(target=session_cm.__exit__, args=(None, None, None))
    closer.start()
    closer.join(10)
    with database.session(write=True) as again:  # same thread as the dropped one: not refused
        again.execute(text("INSERT INTO turns (who) VALUES ('kept')"))
        again.commit()
    with database.session() as check:
        assert list(check.scalars(text("SELECT who FROM turns ORDER BY id"))) == ["kept"]
    database.dispose()
