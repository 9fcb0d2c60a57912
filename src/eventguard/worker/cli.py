"""`eventguard worker`."""

from __future__ import annotations

import signal
import threading
from datetime import timedelta
from pathlib import Path

import typer

from eventguard.alerts.journal.process import process_pending
from eventguard.alerts.journal.runner import JournalProcessor
from eventguard.cli_context import settings
from eventguard.clock import SystemClock
from eventguard.db import Database
from eventguard.logs import configure as configure_logging
from eventguard.probes.scheduler import ProbeScheduler
from eventguard.worker.context import WorkerContext
from eventguard.worker.loop import run_forever, run_once


def worker(
    interval: float = typer.Option(0.25, min=0.05, help="Seconds between passes."),
    once: bool = typer.Option(False, "--once", help="Run one pass and exit."),
    lease: float = typer.Option(60.0, min=1.0, help="Seconds a claimed delivery stays this worker's."),
    publish_dir: Path | None = typer.Option(
        None,
        "--publish-dir",
        help="Keep the static status pages of every event in this directory "
        "(default: EVENTGUARD_STATUS_PUBLISH_DIR).",
    ),
    kit_dir: Path | None = typer.Option(
        None,
        "--kit-dir",
        help="Re-export every event's offline kit to this directory when its plan changes "
        "(default: EVENTGUARD_KIT_EXPORT_DIR).",
    ),
) -> None:
    """Run the background jobs: the intake journal, the monitoring probes, auto-resolve, outbox
    reactions, notification delivery, escalations, SLA breaches, and the static status pages when a
    publish directory is set."""
    cfg = settings()
    if publish_dir is not None:
        cfg = cfg.model_copy(update={"status_publish_dir": publish_dir})
    if kit_dir is not None:
        cfg = cfg.model_copy(update={"kit_export_dir": kit_dir})
    configure_logging(cfg.log_level, cfg.log_json)
    database = Database(cfg.database_url)
    context = WorkerContext(clock=SystemClock(), settings=cfg, lease=timedelta(seconds=lease))
    try:
        if once:
            process_pending(database=database, clock=context.clock)
            run_once(database=database, context=context)
            return
        stop, wake = threading.Event(), threading.Event()

        def _stop(*_: object) -> None:
            stop.set()
            wake.set()

        signal.signal(signal.SIGTERM, _stop)
        signal.signal(signal.SIGINT, _stop)
        # The journal: rows appended by API processes are looked for every 50 ms (PostgreSQL: any
        # number of workers share it, see alerts/journal/process.py).
        processor = JournalProcessor(
            database=database, clock=context.clock, after=lambda _report: wake.set(), poll=0.05
        )
        journal = threading.Thread(
            target=processor.run_forever, args=(stop,), name="eventguard-journal", daemon=True
        )
        journal.start()
        # Probes: their own asyncio loop; a raised alert is in the journal, looked for every 50 ms.
        probes = ProbeScheduler(database=database, clock=context.clock)
        scheduler = threading.Thread(
            target=probes.run_forever, args=(stop,), name="eventguard-probes", daemon=True
        )
        scheduler.start()
        run_forever(database=database, context=context, interval=interval, stop=stop, wake=wake)
        journal.join(timeout=10)
        scheduler.join(timeout=10)
    finally:
        context.http.close()
        database.dispose()


def register(app: typer.Typer) -> None:
    app.command("worker")(worker)
