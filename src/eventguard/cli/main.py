"""Entry point: `eventguard …`."""

from __future__ import annotations

import json

import typer

from eventguard.cli_context import console, settings
from eventguard.db import migrate

app = typer.Typer(
    name="eventguard",
    help="EventGuard: the emergency plan of an online event, made executable.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
config_app = typer.Typer(help="Configuration.", no_args_is_help=True)
db_app = typer.Typer(help="Database migrations.", no_args_is_help=True)
app.add_typer(config_app, name="config")
app.add_typer(db_app, name="db")


@config_app.command("show")
def config_show() -> None:
    """Print the effective configuration with secrets masked."""
    console.print_json(json.dumps(settings().masked(), ensure_ascii=False))


@db_app.command("upgrade")
def db_upgrade(revision: str = typer.Argument("head", help="Target revision.")) -> None:
    """Apply migrations up to REVISION (default: head)."""
    migrate.upgrade(settings().database_url, revision)
    console.print(f"database at revision {migrate.head_revision() if revision == 'head' else revision}")


def _register_domain_commands() -> None:
    from eventguard.cli import demo, serve
    from eventguard.domains import cli_modules

    serve.register(app)
    app.command("demo")(demo.demo)  # demo imports serve (it serves after preparing), not the reverse
    for module_name in cli_modules():
        module = __import__(module_name, fromlist=["register"])
        module.register(app)


_register_domain_commands()


if __name__ == "__main__":
    app()
