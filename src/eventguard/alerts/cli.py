"""`eventguard integration …`: alert senders bound to an event (tokens are shown once)."""

from __future__ import annotations

import typer
from rich.table import Table

from eventguard.alerts import integrations
from eventguard.audit.service import Actor
from eventguard.cli_context import console, open_session, settings
from eventguard.clock import SystemClock
from eventguard.events import service as events
from eventguard.i18n import t
from eventguard.plugins import alert_formats

integration_app = typer.Typer(
    help="Alert intake integrations (Alertmanager, Grafana, PagerDuty, generic).", no_args_is_help=True
)


def register(app: typer.Typer) -> None:
    """Adds `eventguard integration …`."""
    app.add_typer(integration_app, name="integration")


@integration_app.command("create")
def integration_create(
    event: str = typer.Argument(..., help="Event slug."),
    kind: str = typer.Option(..., "--kind", help="alertmanager, grafana, pagerduty or generic."),
    name: str = typer.Option(..., "--name", help="Shown in lists, e.g. 'Prometheus prod'."),
    hmac_secret: str | None = typer.Option(None, "--hmac-secret", help="Grafana HMAC secret (optional)."),
) -> None:
    """Create an integration and print its token and endpoint (the token is shown only now)."""
    lang = settings().default_language
    with open_session() as db:
        found = events.get_by_slug(db=db, slug=event)
        integration, token = integrations.create(
            db=db,
            event=found,
            name=name,
            kind=kind,
            actor=Actor.cli(),
            clock=SystemClock(),
            hmac_secret=hmac_secret,
        )
        db.commit()
    endpoint = "pagerduty/v2/enqueue" if kind == "pagerduty" else kind
    console.print(t("Integration {id} created. Its token is shown only once:", lang, id=integration.id))
    console.print(token, markup=False, highlight=False)
    console.print(f"{settings().base_url}/api/v1/integrations/{endpoint}", markup=False, highlight=False)


@integration_app.command("list")
def integration_list(event: str = typer.Argument(..., help="Event slug.")) -> None:
    """The event's integrations (never their tokens)."""
    with open_session() as db:
        rows = integrations.list_for_event(db=db, event_id=events.get_by_slug(db=db, slug=event).id)
        table = Table("id", "name", "kind", "token prefix", "revoked", "last alert")
        for row in rows:
            table.add_row(
                str(row.id),
                row.name,
                row.kind,
                row.token_prefix,
                "yes" if row.revoked_at else "",
                row.last_received_at.isoformat() if row.last_received_at else "",
            )
    console.print(table)


@integration_app.command("revoke")
def integration_revoke(integration_id: int = typer.Argument(..., help="Integration id.")) -> None:
    """Revoke an integration's token."""
    with open_session() as db:
        integrations.revoke(db=db, integration_id=integration_id, actor=Actor.cli(), clock=SystemClock())
        db.commit()
    console.print(t("Integration {id} revoked.", settings().default_language, id=integration_id))


@integration_app.command("kinds")
def integration_kinds() -> None:
    """The alert formats available (built in and from plugins)."""
    for name in sorted(alert_formats()):
        console.print(name)
