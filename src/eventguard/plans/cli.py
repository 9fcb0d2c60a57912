"""`eventguard plan …`: validate, apply, export and compare plans from the shell.

Problems print as ``FILE:LINE:COL: message [code]``, one per line, in the configured language
(``--lang`` to choose); a plan with errors exits with status 1 and never a traceback.
"""

from __future__ import annotations

import getpass
from pathlib import Path

import typer
from rich.markup import escape
from rich.table import Table

from eventguard.audit.service import Actor
from eventguard.cli_context import console, open_session, settings
from eventguard.clock import SystemClock
from eventguard.i18n import Message, normalize_language
from eventguard.plans import rules, service
from eventguard.plans.export import json_schema_text
from eventguard.plans.issues import Locator, ValidationResult

plan_app = typer.Typer(help="The event's emergency plan as code (docs/plan-format.md).", no_args_is_help=True)

LangOption = typer.Option(None, "--lang", help="Language of the messages: zh-CN or en (default: configured).")


def register(app: typer.Typer) -> None:
    """Adds `eventguard plan …`."""
    app.add_typer(plan_app, name="plan")


def _language(lang: str | None) -> str:
    return normalize_language(lang) if lang else settings().default_language


def _say(text: str) -> None:
    console.print(text, markup=False, highlight=False, soft_wrap=True)


def _read(path: Path) -> tuple[str, ValidationResult | None]:
    """The file's text, or a result holding the one error that kept it from being read."""
    try:
        return path.read_text(encoding="utf-8"), None
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else type(exc).__name__
        issue = Locator(str(path)).issue(rules.NOT_A_FILE, file=str(path), reason=reason)
        return "", ValidationResult.from_issues([issue], None)


def _report(result: ValidationResult, filename: str, language: str, *, summary_if_valid: bool) -> None:
    for issue in [*result.errors, *result.warnings]:
        _say(issue.format(language))
    counts = {"file": filename, "errors": len(result.errors), "warnings": len(result.warnings)}
    if result.valid:
        if summary_if_valid:
            _say(Message("{file}: the plan is valid ({warnings} warning(s)).", counts).render(language))
    else:
        _say(Message("{file}: {errors} error(s), {warnings} warning(s).", counts).render(language))


def _validated(file: Path, language: str, *, summary_if_valid: bool) -> tuple[str, ValidationResult]:
    source, unreadable = _read(file)
    result = unreadable or service.validate_source(source=source, filename=str(file))
    _report(result, str(file), language, summary_if_valid=summary_if_valid)
    if not result.valid:
        raise typer.Exit(1)
    return source, result


@plan_app.command("validate")
def validate(
    file: Path = typer.Argument(..., help="The plan's YAML file."),
    lang: str | None = LangOption,
) -> None:
    """Check a plan; print every problem with its line and column; exit 1 on any error."""
    _validated(file, _language(lang), summary_if_valid=True)


@plan_app.command("apply")
def apply(
    file: Path = typer.Argument(..., help="The plan's YAML file."),
    comment: str | None = typer.Option(None, help="Why this version (kept with it)."),
    author: str | None = typer.Option(None, help="Name recorded as the author (default: your login)."),
    lang: str | None = LangOption,
) -> None:
    """Validate a plan and store it as its event's newest version."""
    language = _language(lang)
    source, result = _validated(file, language, summary_if_valid=False)
    assert result.spec is not None  # _validated exits on errors
    slug = result.spec.event.slug
    with open_session() as db:
        previous = service.newest_number(db=db, slug=slug)
        version = service.apply_plan(
            db=db,
            source=source,
            filename=str(file),
            actor=Actor.cli(author or _login_name()),
            clock=SystemClock(),
            comment=comment,
        )
        db.commit()
    params = {"slug": slug, "number": version.number}
    if version.number == previous:
        _say(
            Message("The plan of {slug} is unchanged: version {number} is in force.", params).render(language)
        )
    else:
        _say(Message("Applied version {number} of the plan of {slug}.", params).render(language))


def _login_name() -> str:
    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return "cli"


@plan_app.command("export")
def export(
    slug: str = typer.Argument(..., help="The event's slug."),
    version: int | None = typer.Option(None, "--version", help="Version number (default: the newest)."),
    out: Path | None = typer.Option(None, "--out", help="Write to this file instead of standard output."),
) -> None:
    """Write a plan version back as YAML (applying it again creates no new version)."""
    with open_session() as db:
        text = service.export_yaml(db=db, slug=slug, number=version)
    if out is None:
        typer.echo(text, nl=False)
        return
    out.write_text(text, encoding="utf-8")
    _say(Message("Wrote {path}.", {"path": str(out)}).render(settings().default_language))


@plan_app.command("diff")
def diff(
    slug: str = typer.Argument(..., help="The event's slug."),
    v1: int = typer.Argument(..., help="Version to compare from."),
    v2: int = typer.Argument(..., help="Version to compare to."),
    unified: bool = typer.Option(False, "--unified", help="Also print a unified diff of the YAML."),
) -> None:
    """Show what changed between two versions of a plan."""
    with open_session() as db:
        changes = service.diff_versions(db=db, slug=slug, a=v1, b=v2)
    if changes.empty:
        _say(Message("No differences.").render(settings().default_language))
    marks = {"added": "+", "removed": "-", "changed": "~", "reordered": "↕"}
    for change in changes.changes:
        line = f"{marks[change.kind]} {change.path}"
        if change.kind in ("changed", "reordered"):
            line += f": {_short(change.before)} -> {_short(change.after)}"
        _say(line)
    if unified and changes.text:
        typer.echo("\n" + changes.text, nl=False)


def _short(value: object) -> str:
    text = str(value)
    return text if len(text) <= 80 else text[:77] + "…"


@plan_app.command("versions")
def versions(slug: str = typer.Argument(..., help="The event's slug.")) -> None:
    """List the versions of an event's plan, newest first."""
    language = settings().default_language
    with open_session() as db:
        rows = service.list_versions(db=db, slug=slug)
    headers = ("Version", "Created (UTC)", "Author", "Checksum", "Comment")
    table = Table(*(Message(header).render(language) for header in headers))
    for row in rows:
        created = row.created_at.strftime("%Y-%m-%d %H:%M:%S")
        table.add_row(
            str(row.number), created, escape(row.author_name), row.checksum[:12], escape(row.comment or "")
        )
    console.print(table)


@plan_app.command("schema")
def schema() -> None:
    """Print the JSON Schema of the plan format (docs/plan.schema.json)."""
    typer.echo(json_schema_text(), nl=False)
