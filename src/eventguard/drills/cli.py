"""`eventguard drill …`: run a plan's drill, record tabletop answers, finish it, print its report."""

from __future__ import annotations

import time

import typer
from rich.table import Table

from eventguard.audit.service import Actor
from eventguard.cli_context import console, open_session
from eventguard.clock import SystemClock
from eventguard.drills import report, scoring, service
from eventguard.drills.models import DrillStatus
from eventguard.events import service as events
from eventguard.i18n import normalize_language

drill_app = typer.Typer(help="Drills: run a plan's drill, answer, finish, report.", no_args_is_help=True)
CLOCK = SystemClock()
ActorOption = typer.Option(None, "--as", help="Name recorded on the timeline and audit log.")


def register(app: typer.Typer) -> None:
    """Adds `eventguard drill …`."""
    app.add_typer(drill_app, name="drill")


def _actor(name: str | None) -> Actor:
    return Actor.cli(name or "cli")


def _print_card(card: scoring.Scorecard, language: str) -> None:
    table = Table("criterion", "target", "actual", "points")
    for criterion in card.criteria:
        table.add_row(
            report.criterion_title(criterion, language),
            report.minutes(criterion.target_seconds),
            report.minutes(criterion.actual_seconds),
            str(criterion.points),
        )
    console.print(table)
    console.print(
        f"score {card.score}/100 ({'passed' if card.passed else 'not passed'}, pass {card.pass_score})"
    )


@drill_app.command("run")
def drill_run(
    event: str = typer.Argument(..., help="Event slug."),
    drill: str = typer.Argument(..., help="Id of a drill of the event's plan."),
    detach: bool = typer.Option(
        False, "--detach", help="Only start it: the worker injects the steps as they fall due."
    ),
    actor: str | None = ActorOption,
) -> None:
    """Start a drill; a live one is injected step by step as each falls due (until all are in)."""
    with open_session() as db:
        run = service.start(
            db=db,
            event=events.get_by_slug(db=db, slug=event),
            drill_id=drill,
            actor=_actor(actor),
            clock=CLOCK,
        )
        db.commit()
        console.print(f"drill run {run.id} started ({run.mode})")
        if run.mode != "live" or detach:
            return
        while True:
            for injection in service.inject_due(db=db, clock=CLOCK):
                console.print(f"injected step {injection.position} ({injection.kind})", markup=False)
            db.commit()
            pending = [i for i in service.injections(db=db, run_id=run.id) if i.injected_at is None]
            if not pending or service.get(db=db, run_id=run.id).status is not DrillStatus.running:
                break
            db.commit()
            time.sleep(max(0.0, min(1.0, (pending[0].due_at - CLOCK.now()).total_seconds())))
        console.print(f"every step injected; finish with: eventguard drill finish {run.id}")


@drill_app.command("list")
def drill_list(event: str | None = typer.Option(None, help="Event slug.")) -> None:
    """Drill runs, newest first."""
    with open_session() as db:
        event_id = events.get_by_slug(db=db, slug=event).id if event else None
        table = Table("#", "drill", "mode", "status", "started", "score")
        for run in service.list_runs(db=db, event_id=event_id):
            started = run.started_at.isoformat() if run.started_at else ""
            score = "" if run.score is None else str(run.score)
            table.add_row(str(run.id), run.drill_id, run.mode, run.status.value, started, score)
        console.print(table)


@drill_app.command("answer")
def drill_answer(
    run_id: int,
    position: int = typer.Argument(..., help="Tabletop step, 1-based."),
    answer: str = typer.Option(..., "--answer"),
    rating: int = typer.Option(..., "--rating", min=0, max=2, help="0 missed, 1 partly, 2 as expected."),
    team: str | None = typer.Option(None, "--team"),
    actor: str | None = ActorOption,
) -> None:
    """Record the answer to a tabletop question."""
    with open_session() as db:
        run = service.get(db=db, run_id=run_id, for_update=True)
        service.record_answer(
            db=db,
            run=run,
            spec=service.spec_of(db, run),
            position=position,
            answer=answer,
            rating=rating,
            team=team,
            actor=_actor(actor),
            clock=CLOCK,
        )
        db.commit()
        console.print(f"answer {position} recorded")


@drill_app.command("finish")
def drill_finish(
    run_id: int,
    notes: str | None = typer.Option(None, "--notes"),
    lang: str = typer.Option("en", "--lang"),
    actor: str | None = ActorOption,
) -> None:
    """Finish a run: score it and resolve its drill incidents."""
    with open_session() as db:
        run = service.get(db=db, run_id=run_id, for_update=True)
        service.finish(db=db, run=run, notes=notes, actor=_actor(actor), clock=CLOCK)
        db.commit()
        _print_card(scoring.Scorecard.from_dict(run.scorecard), normalize_language(lang))


@drill_app.command("report")
def drill_report(run_id: int, lang: str = typer.Option("en", "--lang")) -> None:
    """Print the evaluation report (Markdown)."""
    language = normalize_language(lang)
    with open_session() as db:
        run = service.get(db=db, run_id=run_id)
        console.print(
            report.markdown(report.evaluate(db=db, run=run, language=language), language), markup=False
        )
