"""`eventguard worker`."""

from __future__ import annotations

import signal
import threading
from datetime import timedelta

import typer

from eventguard.cli.context import settings
from eventguard.clock import SystemClock
from eventguard.db import Database
from eventguard.logs import configure as configure_logging
from eventguard.worker.context import WorkerContext
from eventguard.worker.loop import run_forever, run_once


def worker(
    interval: float = typer.Option(0.25, min=0.05, help="Seconds between passes."),
    once: bool = typer.Option(False, "--once", help="Run one pass and exit."),
    lease: float = typer.Option(60.0, min=1.0, help="Seconds a claimed delivery stays this worker's."),
) -> None:
    """Run the background jobs (auto-resolve; later outbox delivery and escalation)."""
    cfg = settings()
    configure_logging(cfg.log_level, cfg.log_json)
    database = Database(cfg.database_url)
    context = WorkerContext(clock=SystemClock(), settings=cfg, lease=timedelta(seconds=lease))
    if once:
        run_once(database=database, context=context)
        return
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    run_forever(database=database, context=context, interval=interval, stop=stop)


def register(app: typer.Typer) -> None:
    app.command("worker")(worker)
