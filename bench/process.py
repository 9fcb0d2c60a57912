"""Drain an EventGuard database's intake journal once, in this process, and print what it took as one
JSON line (``rows``, ``alerts``, ``parked``, ``incidents``, ``seconds``, ``cpu_s``, ``pending_before``,
``pending_after``). Used by ``python -m bench intake`` (the *process* measurement) and for profiling:

    .venv/bin/python -m bench.process sqlite:////tmp/eventguard.db
    .venv/bin/py-spy record -o /tmp/process.txt -f raw -- .venv/bin/python -m bench.process URL
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Sequence

PENDING_ALERTS = "SELECT count(*), coalesce(sum(alert_count), 0) FROM intake_journal WHERE state = 'pending'"


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

        before = pending()
        cpu_started = time.process_time()
        report = process_pending(database=database, clock=SystemClock())
        cpu_s = time.process_time() - cpu_started
        after = pending()
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
                "pending_before": {"rows": before[0], "alerts": before[1]},
                "pending_after": {"rows": after[0], "alerts": after[1]},
            }
        ),
        flush=True,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
