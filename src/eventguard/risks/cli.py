"""`eventguard risk …`: the register from the shell (list, add, set, export CSV, the quantitative
proposals)."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.table import Table

from eventguard.audit.service import Actor
from eventguard.cli_context import console, open_session, settings
from eventguard.clock import SystemClock
from eventguard.events import service as events
from eventguard.i18n import t
from eventguard.plans import service as plans
from eventguard.risks import assessment, service
from eventguard.risks.schemas import RiskCreate, RiskUpdate

risk_app = typer.Typer(
    help="Risk register: list, add, change, export, quantitative proposals.", no_args_is_help=True
)
CLOCK = SystemClock()


def register(app: typer.Typer) -> None:
    """Adds `eventguard risk …`."""
    app.add_typer(risk_app, name="risk")


def _lang() -> str:
    return settings().default_language


@risk_app.command("list")
def list_command(
    event: str = typer.Argument(..., help="Event slug."),
    status: str | None = typer.Option(None, help="open, mitigating, mitigated, accepted or closed."),
    category: str | None = typer.Option(None),
    min_score: int | None = typer.Option(None, "--min-score"),
    sort: str = typer.Option("score", help="score, likelihood, impact, category, status, key, owner_team."),
) -> None:
    """The register, highest score first."""
    lang = _lang()
    with open_session() as db:
        found = events.get_by_slug(db=db, slug=event)
        rows = service.list_risks(
            db=db, event_id=found.id, status=status, category=category, min_score=min_score, sort=sort
        )
        table = Table(title=t("Risk register", lang))
        for column in ("Key", "Category", "Title", "L", "I", "Score", "Status", "Owner", "Last drilled"):
            table.add_column(t(column, lang))
        language = "en" if lang == "en" else "zh-CN"
        for row in rows:
            drilled = service.last_drilled(db=db, event_id=found.id, scenario_id=service.drill_scenario(row))
            table.add_row(
                row.key,
                row.category,
                row.title.get(language, ""),
                str(row.likelihood),
                str(row.impact),
                str(row.score),
                t(row.status, lang),
                row.owner_team or "—",
                drilled.strftime("%Y-%m-%d") if drilled else t("never", lang),
            )
        console.print(table)


@risk_app.command("add")
def add_command(
    event: str = typer.Argument(..., help="Event slug."),
    category: str = typer.Option(...),
    title_zh: str = typer.Option(..., "--title-zh"),
    title_en: str = typer.Option(..., "--title-en"),
    likelihood: int = typer.Option(..., min=1, max=5),
    impact: int = typer.Option(..., min=1, max=5),
    owner: str | None = typer.Option(None, help="Owner team."),
    scenario: str | None = typer.Option(None),
    key: str | None = typer.Option(None),
) -> None:
    """Add a risk by hand."""
    with open_session() as db:
        found = events.get_by_slug(db=db, slug=event)
        spec = plans.get_active_plan(db=db, event_id=found.id)
        data = RiskCreate.model_validate(
            {
                "key": key,
                "category": category,
                "title": {"zh-CN": title_zh, "en": title_en},
                "likelihood": likelihood,
                "impact": impact,
                "owner_team": owner,
                "scenario_id": scenario,
            }
        )
        entry = service.create_risk(
            db=db, event_id=found.id, spec=spec, data=data, actor=Actor.cli(), clock=CLOCK
        )
        db.commit()
        console.print(entry.key)


@risk_app.command("set")
def set_command(
    event: str = typer.Argument(..., help="Event slug."),
    key: str = typer.Argument(..., help="Risk key."),
    status: str | None = typer.Option(None),
    likelihood: int | None = typer.Option(None, min=1, max=5),
    impact: int | None = typer.Option(None, min=1, max=5),
    reason: str | None = typer.Option(None),
) -> None:
    """Change a risk's status or scores (kept in its history)."""
    given = {"status": status, "likelihood": likelihood, "impact": impact}
    with open_session() as db:
        found = events.get_by_slug(db=db, slug=event)
        spec = plans.get_active_plan(db=db, event_id=found.id)
        entry = service.get_risk(db=db, event_id=found.id, key=key)
        data = RiskUpdate.model_validate(
            {k: v for k, v in given.items() if v is not None} | {"reason": reason}
        )
        changes = service.update_risk(
            db=db, entry=entry, spec=spec, data=data, actor=Actor.cli(), clock=CLOCK
        )
        db.commit()
        console.print_json(json.dumps(changes, ensure_ascii=False))


@risk_app.command("export")
def export_command(
    event: str = typer.Argument(..., help="Event slug."),
    output: Path | None = typer.Option(None, "--output", "-o", help="File to write (default: stdout)."),
) -> None:
    """The register as CSV (UTF-8 with BOM)."""
    with open_session() as db:
        found = events.get_by_slug(db=db, slug=event)
        body = service.to_csv(db=db, rows=service.list_risks(db=db, event_id=found.id), lang=_lang())
    if output:
        output.write_text(body, encoding="utf-8")
    else:
        typer.echo(body, nl=False)


@risk_app.command("assess")
def assess_command(event: str = typer.Argument(..., help="Event slug.")) -> None:
    """The quantitative proposals from past events' incidents and drills."""
    lang = _lang()
    with open_session() as db:
        found = events.get_by_slug(db=db, slug=event)
        spec = plans.get_active_plan(db=db, event_id=found.id)
        table = Table(title=t("Quantitative assessment", lang))
        for column in ("Subject", "Incidents", "Per event-hour", "MTTA (min)", "MTTR (min)", "L", "I"):
            table.add_column(t(column, lang))
        for item in assessment.proposals(db=db, event_id=found.id, spec=spec, now=CLOCK.now()):
            m = item.metrics
            table.add_row(
                item.subject,
                str(m["incidents"]),
                str(m["frequency_per_event_hour"]),
                str(m["mtta_minutes"] if m["mtta_minutes"] is not None else "—"),
                str(m["mttr_minutes"] if m["mttr_minutes"] is not None else "—"),
                str(item.likelihood),
                str(item.impact),
            )
        console.print(table)
