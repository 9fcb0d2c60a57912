"""Fair turns at SQLite's single write lock, for every process and thread that writes to one file.

SQLite lets one transaction write at a time; the others wait in its busy handler, which sleeps and
polls (up to 100 ms between polls). A writer that commits and begins again at once — the alert
intake during a storm — then takes the lock again before a waiting worker's next poll, and the
worker starves: notifications wait for the storm to end. So writers first take turns by two
``flock`` locks beside the database file (a turnstile and the writer lock): a writer holds the
turnstile only while it waits for the writer lock, so whoever commits and wants to write again finds
the turnstile held by the next writer in line and waits behind it. ``BEGIN IMMEDIATE`` then finds
SQLite's lock free (or freed within a COMMIT's fsync, which the busy handler covers).

Each pooled connection opens its own descriptors, so threads of one process take turns like
processes do. The turnstile is waited for in the kernel; the writer lock is then polled every
half to five milliseconds (the turnstile keeps the order meanwhile), so that the wait can end: a
writer that waits longer than ``TURN_TIMEOUT_S`` — a thread that already holds the turn through
another connection would wait for itself forever — gets ``WriteTurnTimeout``, like SQLite's own
"database is locked" after its busy timeout.
"""

from __future__ import annotations

import fcntl
import os
import time
from pathlib import Path
from typing import Any

TURN_TIMEOUT_S = 10.0  # as SQLite's busy timeout (engine.py)


class WriteTurnTimeout(RuntimeError):
    """No write turn within ``TURN_TIMEOUT_S``: the database is locked for too long."""


class WriterTurns:
    """The two lock files of one SQLite database; ``acquire``/``release`` per write transaction."""

    def __init__(self, database_file: str) -> None:
        base = Path(database_file)
        self.turnstile_path = str(base.with_name(base.name + ".turnstile"))
        self.writer_path = str(base.with_name(base.name + ".writer"))

    def descriptors(self, info: dict[str, Any]) -> tuple[int, int]:
        """The connection's own (turnstile, writer) descriptors, opened on first use."""
        fds: tuple[int, int] | None = info.get("eventguard_writer_fds")
        if fds is None:
            flags = os.O_RDWR | os.O_CREAT | os.O_CLOEXEC
            fds = (os.open(self.turnstile_path, flags, 0o600), os.open(self.writer_path, flags, 0o600))
            info["eventguard_writer_fds"] = fds
        return fds

    def acquire(self, info: dict[str, Any]) -> None:
        if info.get("eventguard_writer_held"):
            return
        turnstile, writer = self.descriptors(info)
        fcntl.flock(turnstile, fcntl.LOCK_EX)
        try:
            _wait_for(writer)
        finally:
            fcntl.flock(turnstile, fcntl.LOCK_UN)
        info["eventguard_writer_held"] = True

    @staticmethod
    def release(info: dict[str, Any]) -> None:
        if not info.get("eventguard_writer_held"):
            return
        fcntl.flock(info["eventguard_writer_fds"][1], fcntl.LOCK_UN)
        info["eventguard_writer_held"] = False

    @staticmethod
    def close(info: dict[str, Any]) -> None:
        """Close the connection's descriptors (closing them releases any lock they hold)."""
        fds = info.pop("eventguard_writer_fds", None)
        info.pop("eventguard_writer_held", None)
        for fd in fds or ():
            os.close(fd)


def _wait_for(writer: int) -> None:
    deadline, pause = time.monotonic() + TURN_TIMEOUT_S, 0.0001
    while True:
        try:
            fcntl.flock(writer, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            if time.monotonic() >= deadline:
                raise WriteTurnTimeout(
                    f"database is locked: no write turn within {TURN_TIMEOUT_S:g} s"
                ) from None
            time.sleep(pause)
            pause = min(pause * 1.5, 0.005)
