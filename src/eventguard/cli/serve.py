"""`eventguard serve` and `eventguard demo`."""

from __future__ import annotations

import threading

import typer

from eventguard.cli.context import settings
from eventguard.logs import configure as configure_logging


def serve(
    host: str | None = typer.Option(None, help="Bind address (default: EVENTGUARD_HOST)."),
    port: int | None = typer.Option(None, help="Port (default: EVENTGUARD_PORT)."),
    worker: bool = typer.Option(True, help="Also run the background worker in this process."),
) -> None:
    """Serve the API and the web console (with an in-process worker unless --no-worker)."""
    import uvicorn

    from eventguard.app import create_app
    from eventguard.clock import SystemClock
    from eventguard.comms.protocol import StatusPageProtocol
    from eventguard.worker.context import WorkerContext
    from eventguard.worker.loop import run_forever

    cfg = settings()
    configure_logging(cfg.log_level, cfg.log_json)
    app = create_app(cfg)
    stop = threading.Event()
    if worker:
        thread = threading.Thread(
            target=run_forever,
            kwargs={
                "database": app.state.db,
                "context": WorkerContext(clock=SystemClock(), settings=cfg),
                "interval": 0.25,
                "stop": stop,
            },
            name="eventguard-worker",
            daemon=True,
        )
        thread.start()
    try:
        # The status page's shortcut below ASGI (comms/protocol.py); the rest is uvicorn's httptools.
        uvicorn.run(
            app, host=host or cfg.host, port=port or cfg.port, log_config=None, http=StatusPageProtocol
        )
    finally:
        stop.set()


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)
    from eventguard.cli.demo import demo

    app.command("demo")(demo)
