"""Fair turns at SQLite's single write lock, for every process and thread that writes to one file.

SQLite lets one transaction write at a time; the others wait in its busy handler, which sleeps and
polls (up to 100 ms between polls). A writer that commits and begins again at once — the alert
intake during a storm — then takes the lock again before a waiting worker's next poll, and the
worker starves: notifications wait for the storm to end. So writers first take turns by two
``flock`` locks beside the database file (a turnstile and the writer lock): a writer holds the
turnstile only while it waits for the writer lock, so whoever commits and wants to write again finds
the turnstile held by the next writer in line and waits behind it. The kernel wakes the waiter when
the lock is released; no polling. ``BEGIN IMMEDIATE`` then finds SQLite's lock free (or frees within
a COMMIT's fsync, which the busy handler covers).

Each pooled connection opens its own descriptors, so threads of one process take turns like
processes do. A thread that already holds the writer lock through another connection would wait for
itself forever: that is refused at once with an error instead.
"""

from __future__ import annotations

import fcntl
import os
import threading
from pathlib import Path
from typing import Any

_held = threading.local()


class NestedWriteTransaction(RuntimeError):
    """A thread began a second write transaction while its first one still holds the writer lock."""


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
        if getattr(_held, "count", 0):
            raise NestedWriteTransaction(
                "this thread already has a write transaction open on another connection"
            )
        turnstile, writer = self.descriptors(info)
        fcntl.flock(turnstile, fcntl.LOCK_EX)
        try:
            fcntl.flock(writer, fcntl.LOCK_EX)
        finally:
            fcntl.flock(turnstile, fcntl.LOCK_UN)
        info["eventguard_writer_held"] = True
        _held.count = getattr(_held, "count", 0) + 1

    def release(self, info: dict[str, Any]) -> None:
        if not info.get("eventguard_writer_held"):
            return
        fcntl.flock(info["eventguard_writer_fds"][1], fcntl.LOCK_UN)
        info["eventguard_writer_held"] = False
        _held.count = max(0, getattr(_held, "count", 0) - 1)

    @staticmethod
    def close(info: dict[str, Any]) -> None:
        """Close the connection's descriptors (closing them releases any lock they hold)."""
        fds = info.pop("eventguard_writer_fds", None)
        if info.pop("eventguard_writer_held", False):
            _held.count = max(0, getattr(_held, "count", 0) - 1)
        for fd in fds or ():
            os.close(fd)
