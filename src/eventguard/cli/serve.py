"""`eventguard serve` and `eventguard demo`."""

from __future__ import annotations

import typer

from eventguard.cli.context import settings
from eventguard.logs import configure as configure_logging


def serve(
    host: str | None = typer.Option(None, help="Bind address (default: EVENTGUARD_HOST)."),
    port: int | None = typer.Option(None, help="Port (default: EVENTGUARD_PORT)."),
) -> None:
    """Serve the API and the web console."""
    import uvicorn

    from eventguard.app import create_app

    cfg = settings()
    configure_logging(cfg.log_level, cfg.log_json)
    uvicorn.run(create_app(cfg), host=host or cfg.host, port=port or cfg.port, log_config=None)


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)
    from eventguard.cli.demo import demo

    app.command("demo")(demo)
