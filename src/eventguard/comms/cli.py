"""`eventguard status …` (static publishing, public updates) and `eventguard backup …` (backup plans
of an incident), acting as the CLI."""

from __future__ import annotations

import time
from pathlib import Path

import typer
from rich.table import Table

from eventguard.audit.service import Actor
from eventguard.cli_context import console, open_session, settings
from eventguard.clock import SystemClock
from eventguard.comms.backups import plans as backup_plans
from eventguard.comms.backups import service as backups
from eventguard.comms.models import PublicStatus
from eventguard.comms.statuspage import static
from eventguard.comms.updates import approval, drafts
from eventguard.db import Database
from eventguard.incidents import service as incidents
from eventguard.plans import service as plans

status_app = typer.Typer(help="Status page: static files and public updates.", no_args_is_help=True)
backup_app = typer.Typer(
    help="Backup plans of an incident: list, activate, deactivate.", no_args_is_help=True
)
CLOCK = SystemClock()
ActorOption = typer.Option(None, "--as", help="Name recorded on the timeline and audit log.")


def register(app: typer.Typer) -> None:
    """Adds `eventguard status …` and `eventguard backup …`."""
    app.add_typer(status_app, name="status")
    app.add_typer(backup_app, name="backup")


@status_app.command("publish")
def status_publish(
    slug: str,
    out: Path = typer.Option(..., "--out", help="Directory served as /status/ by nginx, a bucket or a CDN."),
    watch: float = typer.Option(0.0, "--watch", help="Check for changes every N seconds (0: write once)."),
) -> None:
    """Write the status page, its JSON and Atom feed as static files (only files that changed)."""
    database = Database(settings().database_url)
    try:
        while True:
            written = static.publish(database=database, slug=slug, out=out, settings=settings(), clock=CLOCK)
            for path in written:
                console.print(f"wrote {path}", markup=False)
            if watch <= 0:
                if not written:
                    console.print("no change")
                return
            time.sleep(watch)
    except KeyboardInterrupt:
        return
    finally:
        database.dispose()


@status_app.command("update")
def status_update(
    incident_id: int,
    status: PublicStatus = typer.Option(PublicStatus.investigating, help="Public status of the incident."),
    template: str | None = typer.Option(None, help="Announcement template of the plan."),
    eta: str | None = typer.Option(None, help="Expected recovery, as participants should read it."),
    compensation: str | None = typer.Option(None, help="Compensation offered."),
    backup_link: str | None = typer.Option(None, help="Link to an alternative (default: active backups)."),
    summary: str | None = typer.Option(None, help="What happened, in public words."),
    publish_now: bool = typer.Option(False, "--publish", help="Publish at once (or ask for approval)."),
    as_name: str | None = ActorOption,
) -> None:
    """Draft a public update of an incident from the plan's template, print it, and publish it
    with --publish (levels that need approval wait for a second commander in the API)."""
    actor = Actor.cli(as_name or "cli")
    given = {"eta": eta, "compensation": compensation, "backup_link": backup_link, "summary": summary}
    with open_session() as db:
        incident = incidents.get(db=db, incident_id=incident_id, for_update=True)
        spec = plans.get_active_plan(db=db, event_id=incident.event_id)
        draft = drafts.DraftInput(
            status=status, template_id=template, variables={k: v for k, v in given.items() if v is not None}
        )
        update = drafts.create_draft(
            db=db,
            incident=incident,
            spec=spec,
            draft=draft,
            base_url=settings().base_url,
            actor=actor,
            clock=CLOCK,
        )
        if publish_now:
            approval.publish(db=db, update=update, incident=incident, actor=actor, clock=CLOCK)
        db.commit()
        for lang in ("zh-CN", "en"):
            console.print(f"[{lang}] {update.title[lang]}\n{update.body[lang]}\n", markup=False)
        console.print(f"public update {update.id}: {update.state.value}")


def _switch(incident_id: int, backup_id: str, as_name: str | None, on: bool) -> None:
    actor = Actor.cli(as_name or "cli")
    with open_session() as db:
        incident = incidents.get(db=db, incident_id=incident_id, for_update=True)
        spec = plans.get_active_plan(db=db, event_id=incident.event_id)
        switch = backups.activate if on else backups.deactivate
        switch(
            db=db,
            incident=incident,
            spec=spec,
            backup_id=backup_id,
            base_url=settings().base_url,
            actor=actor,
            clock=CLOCK,
        )
        db.commit()
    console.print(
        f"backup plan {backup_id} {'activated' if on else 'deactivated'} for incident {incident_id}"
    )


@backup_app.command("activate")
def backup_activate(incident_id: int, backup_id: str, as_name: str | None = ActorOption) -> None:
    """Switch a backup plan on for an incident: timelined, on the status page, in the next announcement."""
    _switch(incident_id, backup_id, as_name, on=True)


@backup_app.command("deactivate")
def backup_deactivate(incident_id: int, backup_id: str, as_name: str | None = ActorOption) -> None:
    """Switch a backup plan off again (the status page returns to normal)."""
    _switch(incident_id, backup_id, as_name, on=False)


@backup_app.command("list")
def backup_list(incident_id: int) -> None:
    """The plan's backup plans and which are on for the incident."""
    with open_session() as db:
        incident = incidents.get(db=db, incident_id=incident_id)
        spec = plans.get_active_plan(db=db, event_id=incident.event_id)
        active = {
            a.backup_id
            for a in backup_plans.list_for_incident(db=db, incident_id=incident_id, active_only=True)
        }
        table = Table("id", "kind", "name", "active", "link")
        for plan in spec.backup_plans:
            link = backup_plans.primary_link(plan) or ""
            table.add_row(plan.id, plan.kind, plan.name.en, "yes" if plan.id in active else "", link)
    console.print(table)
