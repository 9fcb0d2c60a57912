"""The journal processor's loop: woken at once by an append in this process (the embedded
default: ``eventguard serve``), and looking every ``poll`` seconds for rows that other processes
appended (API replicas writing to a shared PostgreSQL)."""

from __future__ import annotations

import threading
from collections.abc import Callable

from eventguard.alerts.journal.process import ProcessReport, process_pending
from eventguard.clock import Clock
from eventguard.db import Database
from eventguard.logs import get_logger

log = get_logger("eventguard.alerts.journal")


class JournalProcessor:
    def __init__(
        self,
        *,
        database: Database,
        clock: Clock,
        wake: threading.Event | None = None,
        after: Callable[[ProcessReport], None] | None = None,
        poll: float = 0.05,
    ) -> None:
        self.database = database
        self.clock = clock
        self.wake = wake or threading.Event()
        self.after = after
        self.poll = poll

    def run_once(self) -> ProcessReport:
        report = process_pending(database=self.database, clock=self.clock)
        if report.rows and self.after is not None:
            self.after(report)  # e.g. wake the worker: the new incidents' notifications are due now
        return report

    def run_forever(self, stop: threading.Event) -> None:
        while not stop.is_set():
            self.wake.wait(self.poll)
            self.wake.clear()
            if stop.is_set():
                return
            try:
                self.run_once()
            except Exception:  # a failing pass must not stop processing; the next one retries
                log.exception("journal_pass_failed")
                stop.wait(1.0)
