"""`eventguard serve` and `eventguard demo`."""

from __future__ import annotations

import threading

import typer

from eventguard.cli_context import settings
from eventguard.logs import configure as configure_logging


def serve(
    host: str | None = typer.Option(None, help="Bind address (default: EVENTGUARD_HOST)."),
    port: int | None = typer.Option(None, help="Port (default: EVENTGUARD_PORT)."),
    worker: bool = typer.Option(
        True,
        help="Also run the background worker and the intake journal processor in this process "
        "(--no-worker: a stateless API replica; `eventguard worker` processes do that work).",
    ),
    journal: bool | None = typer.Option(
        None,
        help="Process the intake journal in this process (default: when the worker runs here; "
        "--journal with --no-worker processes it without sending notifications).",
    ),
    workers: int = typer.Option(
        1, min=1, max=64, help="Accepting processes (uvicorn workers); more than one where the cores allow."
    ),
) -> None:
    """Serve the API and the web console; unless --no-worker, also process the intake journal and
    run the background worker in this process."""
    import uvicorn

    from eventguard.alerts.journal.runner import JournalProcessor
    from eventguard.app import create_app
    from eventguard.clock import SystemClock
    from eventguard.db import Database
    from eventguard.probes.scheduler import ProbeScheduler
    from eventguard.protocol import EventGuardProtocol
    from eventguard.worker.context import WorkerContext
    from eventguard.worker.loop import run_forever

    if journal is None:
        journal = worker  # --no-worker: nothing but the API in this process
    cfg = settings()
    configure_logging(cfg.log_level, cfg.log_json)
    app = create_app(cfg) if workers == 1 else None
    database = app.state.db if app is not None else Database(cfg.database_url)
    stop, worker_wake = threading.Event(), threading.Event()
    journal_wake = app.state.journal_wake if app is not None else threading.Event()
    if journal:
        # Woken at once by this process's intake (no polling delay); with several accepting
        # processes it looks every 20 ms. It wakes the worker when it has opened or changed
        # incidents: their notifications are due now.
        processor = JournalProcessor(
            database=database,
            clock=SystemClock(),
            wake=journal_wake,
            after=lambda _report: worker_wake.set(),
            poll=0.25 if app is not None else 0.02,
        )
        threading.Thread(
            target=processor.run_forever, args=(stop,), name="eventguard-journal", daemon=True
        ).start()
    if worker:
        threading.Thread(
            target=run_forever,
            kwargs={
                "database": database,
                "context": WorkerContext(clock=SystemClock(), settings=cfg),
                "interval": 0.25,
                "stop": stop,
                "wake": worker_wake,
            },
            name="eventguard-worker",
            daemon=True,
        ).start()
        probes = ProbeScheduler(database=database, clock=SystemClock(), on_alert=journal_wake.set)
        threading.Thread(
            target=probes.run_forever, args=(stop,), name="eventguard-probes", daemon=True
        ).start()
    try:
        # Shortcuts below ASGI for the status page and alert intake (protocol.py); the rest is
        # uvicorn's httptools.
        bind_host, bind_port = host or cfg.host, port or cfg.port
        if app is not None:
            uvicorn.run(app, host=bind_host, port=bind_port, log_config=None, http=EventGuardProtocol)
        else:
            uvicorn.run(
                "eventguard.app:create_app",
                factory=True,
                workers=workers,
                host=bind_host,
                port=bind_port,
                log_config=None,
                http="eventguard.protocol:EventGuardProtocol",
            )
    finally:
        stop.set()
        journal_wake.set()
        worker_wake.set()


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)
