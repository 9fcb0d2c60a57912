"""`eventguard kit export EVENT` and `eventguard kit verify FILE` (docs/kit.md)."""

from __future__ import annotations

from pathlib import Path

import typer

from eventguard.cli_context import console, err_console, open_session, settings
from eventguard.clock import SystemClock
from eventguard.i18n import normalize_language, t
from eventguard.kit import service

kit_app = typer.Typer(help="The offline emergency kit: export it, check it is current.", no_args_is_help=True)
STALE_EXIT = 3  # verify: the file is older than the event's current plan


def register(app: typer.Typer) -> None:
    """Adds `eventguard kit …`."""
    app.add_typer(kit_app, name="kit")


@kit_app.command("export")
def kit_export(
    event: str = typer.Argument(..., help="Event slug."),
    out: Path = typer.Option(Path("."), "-o", "--out", help="Directory to write the files to."),
    lang: str = typer.Option("", "--lang", help="zh-CN or en (default: EVENTGUARD_DEFAULT_LANGUAGE)."),
    no_pdf: bool = typer.Option(False, "--no-pdf", help="Write only the HTML file."),
) -> None:
    """Write the kit of the event's current plan: one self-contained HTML file and an A4 PDF."""
    language = normalize_language(lang or settings().default_language)
    with open_session() as db:
        kit = service.make(db=db, slug=event, clock=SystemClock(), language=language)
    for path in service.write(kit, out, pdf=not no_pdf):
        console.print(str(path), markup=False)
    console.print(t("Plan version {version}.", language, version=kit.stamp.plan_version))


@kit_app.command("verify")
def kit_verify(
    file: Path = typer.Argument(..., help="A kit HTML file written by kit export or the worker."),
) -> None:
    """Tell whether a kit file is older than the event's current plan (exit code 3 when it is)."""
    language = settings().default_language
    try:
        text = file.read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        err_console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(1) from exc
    with open_session() as db:
        verdict = service.verify_text(db=db, text=text)
    values = {"file": verdict.file_version, "current": verdict.current_version, "at": verdict.exported_at}
    if verdict.stale:
        console.print(
            t(
                "STALE: the kit is of plan version {file}, the current plan is version {current} "
                "(exported {at}).",
                language,
                **values,
            )
        )
        raise typer.Exit(STALE_EXIT)
    console.print(
        t("Current: the kit is of plan version {file}, the current plan (exported {at}).", language, **values)
    )
