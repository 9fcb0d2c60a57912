"""`eventguard report …`: an incident report, a postmortem or a drill evaluation as a file."""

from __future__ import annotations

from pathlib import Path

import typer

from eventguard.cli_context import console, open_session
from eventguard.clock import SystemClock
from eventguard.i18n import normalize_language
from eventguard.reports import documents, render

report_app = typer.Typer(
    help="Reports: incident, postmortem, drill evaluation (md, html, pdf).", no_args_is_help=True
)
CLOCK = SystemClock()
FormatOption = typer.Option("pdf", "--format", "-f", help="md, html or pdf.")
OutputOption = typer.Option(
    None, "--output", "-o", help="File to write (default: e.g. incident-12.pdf here)."
)
LangOption = typer.Option("zh-CN", "--lang", help="zh-CN or en.")


def register(app: typer.Typer) -> None:
    """Adds `eventguard report …`."""
    app.add_typer(report_app, name="report")


def _write(kind: documents.Kind, object_id: int, fmt: str, output: Path | None, lang: str) -> None:
    if fmt not in render.FORMATS:
        console.print(f"[red]error:[/red] unknown format {fmt!r}: use md, html or pdf")
        raise typer.Exit(2)
    with open_session() as db:
        document = documents.build(
            db=db, kind=kind, object_id=object_id, lang=normalize_language(lang), now=CLOCK.now()
        )
        data = render.render(document, fmt)
    path = output or Path(render.filename(document, fmt))
    path.write_bytes(data)
    console.print(f"wrote {path} ({len(data)} bytes)")


@report_app.command("incident")
def report_incident(
    incident_id: int,
    fmt: str = FormatOption,
    output: Path | None = OutputOption,
    lang: str = LangOption,
) -> None:
    """Write an incident's report (facts, notifications vs notify_within, runbook, timeline)."""
    _write("incident", incident_id, fmt, output, lang)


@report_app.command("postmortem")
def report_postmortem(
    postmortem_id: int,
    fmt: str = FormatOption,
    output: Path | None = OutputOption,
    lang: str = LangOption,
) -> None:
    """Write a postmortem (sections, action items, timeline) with its incident's charts."""
    _write("postmortem", postmortem_id, fmt, output, lang)


@report_app.command("drill")
def report_drill(
    run_id: int,
    fmt: str = FormatOption,
    output: Path | None = OutputOption,
    lang: str = LangOption,
) -> None:
    """Write a drill run's evaluation report with its score per target and per team."""
    _write("drill", run_id, fmt, output, lang)
