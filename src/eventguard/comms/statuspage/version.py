"""The status page's change version, checked cheaply on every request.

Every public change bumps ``status_pages.version`` of its event in the change's own transaction
(``state.touch``, also through the ``public_changed`` hook of incidents and the event's pause).
Each serving process keeps the version its documents were rendered from and, before answering one
from memory, asks :class:`VersionProbe` for the current version:

- SQLite: one primary-key row read over a connection of its own, kept open outside the pool in
  autocommit mode (WAL: the newest committed value) — microseconds, no network;
- PostgreSQL: ``touch`` also sends ``NOTIFY eventguard_status_pages, '<event>:<version>'`` in the
  same transaction (delivered on commit, dropped on rollback); a thread of the probe ``LISTEN``s
  on its own connection and keeps the newest version per event in memory, so a request costs a
  dictionary lookup instead of a round trip. While the listener is not (yet, or no longer)
  listening, the probe reads the row over its connection instead, as on SQLite.

Either way a change made by any process — the worker, another replica, ``eventguard backup
activate`` — is seen by the very next request; on PostgreSQL, by the next request once the
notification has arrived, which PostgreSQL delivers after the commit (milliseconds; longer when the
machine is loaded). When the version cannot be read (the database is away), it is unknown and the
page cache answers from memory as before."""

from __future__ import annotations

import threading
import weakref
from typing import Any

from sqlalchemy.engine import Engine

from eventguard.logs import get_logger

log = get_logger("eventguard.comms.version")
CHANNEL = "eventguard_status_pages"
_QUERY = {
    "sqlite": "SELECT version FROM status_pages WHERE event_id = ?",
    "postgresql": "SELECT version FROM status_pages WHERE event_id = %s",
}


class VersionProbe:
    """Reads one event's status page version; thread-safe (one connection, one lock)."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._query = _QUERY.get(engine.dialect.name, _QUERY["postgresql"])
        self._lock = threading.Lock()
        self._connection: Any = None
        self._finalizer: weakref.finalize[Any, VersionProbe] | None = None
        self.reads = 0  # versions asked for (observable in tests)
        self.row_reads = 0  # of which read from the database
        self._heard: _Heard | None = None
        if engine.dialect.name == "postgresql":
            self._heard = _Heard()
            weakref.finalize(self, self._heard.stop.set)  # the listener ends with the probe

    def _connect(self) -> Any:
        connection = _connect(self._engine)
        self._finalizer = weakref.finalize(self, _close, connection)
        return connection

    def read(self, event_id: int) -> int | None:
        """The event's current version (0 before its first public change); None when unknown."""
        heard = self._heard
        if heard is None:
            return self._read_row(event_id)
        heard.start(self._engine)
        generation = heard.generation if heard.listening else None
        if generation is not None:
            found = heard.known.get(event_id)
            if found is not None:
                self.reads += 1
                return found
        version = self._read_row(event_id)
        if version is not None and generation is not None:
            heard.learn(event_id, version, generation)
        return version

    def _read_row(self, event_id: int) -> int | None:
        with self._lock:
            try:
                if self._connection is None:
                    self._connection = self._connect()
                cursor = self._connection.cursor()
                try:
                    cursor.execute(self._query, (event_id,))
                    row = cursor.fetchone()
                finally:
                    cursor.close()
            except Exception:
                log.warning("status_page_version_unreadable", exc_info=True)
                self._drop()
                return None
            self.reads += 1
            self.row_reads += 1
            return int(row[0]) if row else 0

    def _drop(self) -> None:
        if self._finalizer is not None:
            self._finalizer()
        self._connection = self._finalizer = None

    def close(self) -> None:
        with self._lock:
            self._drop()


class _Heard:
    """What the PostgreSQL listener heard: the newest version per event, since it last (re)started
    listening (``generation``); shared with its thread, which holds no reference to the probe."""

    def __init__(self) -> None:
        self.known: dict[int, int] = {}
        self.listening = False
        self.generation = 0
        self.stop = threading.Event()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def start(self, engine: Engine) -> None:
        if self._thread is None:
            with self._lock:
                if self._thread is None:
                    self._thread = threading.Thread(
                        target=self._listen, args=(engine,), name="status-page-versions", daemon=True
                    )
                    self._thread.start()

    def learn(self, event_id: int, version: int, generation: int) -> None:
        """Keep a version read from the row, unless the listener restarted since the read began."""
        with self._lock:
            if self.listening and self.generation == generation:
                self.known[event_id] = max(self.known.get(event_id, version), version)

    def _heard(self, payload: str) -> None:
        event, _, version = payload.partition(":")
        if event.isdigit() and version.isdigit():
            with self._lock:
                number = int(event)
                self.known[number] = max(self.known.get(number, 0), int(version))

    def _listen(self, engine: Engine) -> None:
        while not self.stop.is_set():
            connection = None
            try:
                connection = _connect(engine)
                connection.execute(f"LISTEN {CHANNEL}")
                with self._lock:
                    self.known.clear()
                    self.generation += 1
                    self.listening = True
                while not self.stop.is_set():
                    for notification in connection.notifies(timeout=1.0):
                        self._heard(notification.payload)
            except Exception:
                log.warning("status_page_listener_failed", exc_info=True)
                self.stop.wait(1.0)
            finally:
                with self._lock:
                    self.listening = False
                    self.known.clear()
                if connection is not None:
                    _close(connection)


def _connect(engine: Engine) -> Any:
    """A DBAPI connection of its own (outside the pool), in autocommit mode."""
    dialect = engine.dialect
    args, kwargs = dialect.create_connect_args(engine.url)
    connection = dialect.connect(*args, **kwargs)
    if dialect.name == "sqlite":
        connection.isolation_level = None  # autocommit: each read sees the newest commit
    else:
        connection.autocommit = True
    return connection


def _close(connection: Any) -> None:
    try:
        connection.close()
    except Exception:  # already gone with its database
        return
