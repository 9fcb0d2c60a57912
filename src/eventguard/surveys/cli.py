"""`eventguard survey …`: import a CSV of answers, rank the complaints."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from eventguard.audit.service import Actor
from eventguard.cli_context import console, open_session, settings
from eventguard.clock import SystemClock
from eventguard.events import service as events
from eventguard.i18n import t
from eventguard.plans import service as plans
from eventguard.surveys import service

survey_app = typer.Typer(help="Participant surveys: import answers, rank complaints.", no_args_is_help=True)
CLOCK = SystemClock()


def register(app: typer.Typer) -> None:
    """Adds `eventguard survey …`."""
    app.add_typer(survey_app, name="survey")


@survey_app.command("import")
def import_command(
    event: str = typer.Argument(..., help="Event slug."),
    file: Path = typer.Argument(..., exists=True, dir_okay=False, help="CSV file."),
    text: str = typer.Option(..., help="The column with the answer."),
    rating: str | None = typer.Option(None, help="The column with a 1–5 rating."),
    submitted_at: str | None = typer.Option(None, "--submitted-at", help="The column with the time."),
    encoding: str = typer.Option("auto", help="auto (UTF-8, then GB18030), utf-8 or gb18030."),
) -> None:
    """Import a CSV file of answers into the event."""
    mapping = (
        {"text": text}
        | ({"rating": rating} if rating else {})
        | ({"submitted_at": submitted_at} if submitted_at else {})
    )
    if encoding not in ("auto", "utf-8", "gb18030"):
        raise typer.BadParameter("auto, utf-8 or gb18030", param_hint="--encoding")
    with open_session() as db:
        found = events.get_by_slug(db=db, slug=event)
        result = service.import_csv(
            db=db,
            event_id=found.id,
            raw=file.read_bytes(),
            mapping=mapping,
            encoding=encoding,  # type: ignore[arg-type]
            actor=Actor.cli(),
            clock=CLOCK,
        )
        db.commit()
    lang = settings().default_language
    console.print(
        t(
            "{imported} answers imported, {skipped} skipped ({encoding}).",
            lang,
            imported=result.imported,
            skipped=result.skipped,
            encoding=result.encoding,
        )
    )
    for error in result.errors:
        console.print(f"  line {error['line']}: {error['field']} {error['value']!r}")


@survey_app.command("rank")
def rank_command(event: str = typer.Argument(..., help="Event slug.")) -> None:
    """Complaints ranked by frequency across events, with the trend."""
    lang = settings().default_language
    language = "en" if lang == "en" else "zh-CN"
    with open_session() as db:
        found = events.get_by_slug(db=db, slug=event)
        spec = plans.get_active_plan(db=db, event_id=found.id)
        result = service.ranking(db=db, event_id=found.id, spec=spec)
    table = Table(title=t("Complaint ranking", lang))
    table.add_column(t("Complaint", lang))
    table.add_column(t("Total", lang))
    for column in result.events:
        table.add_column(column.slug)
    table.add_column(t("Trend", lang))
    for item in result.tags:
        trend = "—" if item.trend is None else f"{item.trend:+.0%}"
        table.add_row(item.name[language], str(item.total), *(str(c) for c in item.counts), trend)
    console.print(table)
