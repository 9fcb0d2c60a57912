"""Drain an EventGuard database's intake journal once, in this process, and print what it took as one
JSON line (``rows``, ``alerts``, ``parked``, ``incidents``, ``seconds``, ``cpu_s``, ``pending_before``,
``pending_after``). Used by ``python -m bench intake`` (the *process* measurement) and for profiling:

    .venv/bin/python -m bench.process sqlite:////tmp/eventguard.db
    .venv/bin/py-spy record -o /tmp/process.txt -f raw -- .venv/bin/python -m bench.process URL
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

PENDING_ALERTS = "SELECT count(*), coalesce(sum(alert_count), 0) FROM intake_journal WHERE state = 'pending'"


def _backend_cpu_s(database: Any) -> float | None:
    """CPU seconds used so far by the PostgreSQL backend of the pooled connection (None: SQLite, or
    not on this machine). The pool keeps one connection for this single-threaded process."""
    if database.is_sqlite:
        return None
    from sqlalchemy import text

    with database.session() as db:
        pid = int(db.execute(text("SELECT pg_backend_pid()")).scalar_one())
    try:
        raw = Path(f"/proc/{pid}/stat").read_text(encoding="ascii", errors="replace")
    except OSError:
        return None
    fields = raw[raw.rindex(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main(argv: Sequence[str]) -> int:
    if len(argv) != 1 or argv[0].startswith("-"):
        print(__doc__, file=sys.stderr)
        return 2
    from sqlalchemy import text

    from eventguard.alerts.journal.process import process_pending
    from eventguard.clock import SystemClock
    from eventguard.db import Database
    from eventguard.logs import configure

    configure("WARNING", False)
    database = Database(argv[0])
    try:

        def pending() -> tuple[int, int]:
            with database.session() as db:
                rows, alerts = db.execute(text(PENDING_ALERTS)).one()
            return int(rows), int(alerts)

        before, backend_before = pending(), _backend_cpu_s(database)
        cpu_started = time.process_time()
        report = process_pending(database=database, clock=SystemClock())
        cpu_s = time.process_time() - cpu_started
        after, backend_after = pending(), _backend_cpu_s(database)
    finally:
        database.dispose()
    print(
        json.dumps(
            {
                "rows": report.rows,
                "alerts": report.alerts,
                "parked": len(report.parked),
                "incidents": len(report.incident_ids),
                "seconds": round(report.seconds, 3),
                "cpu_s": round(cpu_s, 3),
                # PostgreSQL on this machine: CPU of the server process behind this one's connection
                # (it exits with the connection, before the caller could count it)
                "postgres_backend_cpu_s": (
                    round(backend_after - backend_before, 3)
                    if backend_before is not None and backend_after is not None
                    else None
                ),
                "pending_before": {"rows": before[0], "alerts": before[1]},
                "pending_after": {"rows": after[0], "alerts": after[1]},
            }
        ),
        flush=True,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
