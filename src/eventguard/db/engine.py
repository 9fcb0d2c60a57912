"""Engine and session factory. SQLite gets WAL, foreign keys, immediate write transactions and fair
turns between writers (writelock.py)."""

from __future__ import annotations

import json
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import ConnectionPoolEntry

from eventguard.db.writelock import WriterTurns

WRITE_OPTION = "eventguard_write"
_TURNS: weakref.WeakKeyDictionary[Engine, WriterTurns] = weakref.WeakKeyDictionary()


def writer_turns(engine: Engine) -> WriterTurns | None:
    """The fair write turns of a SQLite file's engine (None for PostgreSQL or in-memory SQLite), for
    code that writes on a raw DBAPI connection of the engine's pool and takes its turn itself."""
    return _TURNS.get(engine)


def _prepare_sqlite_file(url: str) -> str | None:
    """The database file of a SQLite URL, its folder created; None for an in-memory database."""
    database = make_url(url).database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    Path(database).parent.mkdir(parents=True, exist_ok=True)
    return database


def _install_sqlite_pragmas(engine: Engine, turns: WriterTurns | None) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
        # Let SQLAlchemy, not the sqlite3 module, decide when transactions begin.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=10000")
        # FULL: a commit is on disk before we answer 2xx, even across a power cut.
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        # Write sessions take the write lock up front (IMMEDIATE), so two writers queue on
        # busy_timeout instead of failing when a reader upgrades; read sessions stay deferred and
        # never block anyone (WAL).
        if not conn.get_execution_options().get(WRITE_OPTION):
            conn.exec_driver_sql("BEGIN")
            return
        if turns is not None:
            turns.acquire(conn.info)  # fair turns first (writelock.py), then SQLite's own lock
        try:
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        except BaseException:
            if turns is not None:
                turns.release(conn.info)
            raise

    if turns is None:
        return

    # The turn ends when the transaction does: SQLite's own lock covers the COMMIT or ROLLBACK itself.
    @event.listens_for(engine, "commit")
    def _on_commit(conn: Any) -> None:
        turns.release(conn.info)

    @event.listens_for(engine, "rollback")
    def _on_rollback(conn: Any) -> None:
        turns.release(conn.info)

    @event.listens_for(engine, "checkin")
    def _on_checkin(_dbapi_connection: Any, record: ConnectionPoolEntry) -> None:
        turns.release(record.info)  # a connection back in the pool never keeps a turn

    @event.listens_for(engine, "close")
    def _on_close(_dbapi_connection: Any, record: ConnectionPoolEntry) -> None:
        WriterTurns.close(record.info)


def _json_dumps(value: Any) -> str:
    # orjson: JSON columns (labels, raw payloads) are written in bulk by intake; the stdlib encoder
    # was a tenth of journal processing. Same JSON, written as UTF-8 instead of \u escapes.
    try:
        return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode("utf-8")
    except TypeError:  # what orjson refuses (integers past 64 bits, NaN as a key …): the stdlib's way
        return json.dumps(value)


def _json_loads(text: str | bytes) -> Any:
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:  # NaN or Infinity, which the stdlib encoder writes
        return json.loads(text)


# The pool holds more connections than the web server has threads. A request keeps its session's
# connection from its first dependency to its answer, but runs each sync dependency and the route
# in a thread of its own turn (AnyIO's limiter, 40 threads by default): with fewer connections than
# threads, the threads can all be taken by requests waiting for a connection while the holders wait
# for a thread to go on, and every one times out after 30 s. Spare connections cover the in-process
# journal processor, worker and after-request writes. Connections past ``POOL_SIZE`` are closed
# when given back, so the overflow costs nothing at rest.
HTTP_THREADS = 40
POOL_SIZE = 10
POOL_OVERFLOW = HTTP_THREADS + 20 - POOL_SIZE


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine for ``url`` with the per-backend settings EventGuard relies on."""
    kwargs = {"json_serializer": _json_dumps, "json_deserializer": _json_loads, **kwargs}
    pooled = {"pool_size": POOL_SIZE, "max_overflow": POOL_OVERFLOW}
    if url.startswith("sqlite"):
        database = _prepare_sqlite_file(url)
        if database and "poolclass" not in kwargs:  # in-memory databases keep SQLAlchemy's own pool
            kwargs = {**pooled, **kwargs}
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 10}, **kwargs)
        turns = WriterTurns(database) if database else None
        _install_sqlite_pragmas(engine, turns)
        if turns is not None:
            _TURNS[engine] = turns
        return engine
    if "poolclass" not in kwargs:
        kwargs = {**pooled, **kwargs}
    return create_engine(url, pool_pre_ping=True, **kwargs)


class Database:
    """One engine and its session factory; the app, the CLI and the worker each hold one."""

    def __init__(self, url: str, **engine_kwargs: Any) -> None:
        self.url = url
        self.engine = make_engine(url, **engine_kwargs)
        self.sessionmaker = sessionmaker(self.engine, expire_on_commit=False)
        self.write_sessionmaker = sessionmaker(
            self.engine.execution_options(**{WRITE_OPTION: True}), expire_on_commit=False
        )

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    @contextmanager
    def session(self, *, write: bool = False) -> Iterator[Session]:
        """A session that rolls back anything not committed when the block ends.

        ``write=True`` for a unit of work that will write: on SQLite it takes the write lock when
        its transaction begins (PostgreSQL is unaffected)."""
        session = (self.write_sessionmaker if write else self.sessionmaker)()
        try:
            yield session
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def dispose(self) -> None:
        self.engine.dispose()
