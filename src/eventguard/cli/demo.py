"""`eventguard demo`: migrate, load the example plan, create the admin login, serve."""

from __future__ import annotations

import secrets
from pathlib import Path

import typer
from sqlalchemy.orm import Session

from eventguard.audit.service import Actor
from eventguard.cli.demo_after import seed_history
from eventguard.cli_context import console, open_session, settings
from eventguard.clock import Clock, SystemClock
from eventguard.db import migrate

EXAMPLE_PLAN = Path("examples/plans/online-conference.yaml")
EXAMPLE_FEEDBACK = Path("examples/surveys/cloud-summit-2026-feedback.csv")
DEMO_ADMIN = "admin"


def prepare_demo(plan_path: Path) -> tuple[str, str, int]:
    """Migrate, apply the plan (a no-op when unchanged) and give the admin a fresh password.

    Returns (event slug, admin password, plan version number)."""
    from eventguard.auth import service as auth
    from eventguard.auth.models import Role
    from eventguard.events import service as events
    from eventguard.plans import service as plans

    cfg = settings()
    migrate.upgrade(cfg.database_url)
    clock, actor = SystemClock(), Actor.cli("demo")
    password = secrets.token_urlsafe(12)
    with open_session() as db:
        version = plans.apply_plan(
            db=db,
            source=plan_path.read_text(encoding="utf-8"),
            filename=str(plan_path),
            actor=actor,
            clock=clock,
        )
        user = auth.get_user_by_username(db=db, username=DEMO_ADMIN)
        if user is None:
            auth.create_user(
                db=db,
                username=DEMO_ADMIN,
                password=password,
                role=Role.admin,
                actor=actor,
                clock=clock,
                display_name="Demo admin",
            )
        else:
            auth.set_password(db=db, user=user, password=password, actor=actor, clock=clock)
        slug = events.get(db=db, event_id=version.event_id).slug
        _sample_feedback(db, version.event_id, actor, clock)
        db.commit()
        seed_history(db, slug=slug, language=cfg.default_language)  # a finished drill, a postmortem
        db.commit()
        return slug, password, version.number


def _sample_feedback(db: Session, event_id: int, actor: Actor, clock: Clock) -> None:
    """The example event's participant feedback (once), so the survey ranking has something to rank."""
    from eventguard.surveys import service as surveys

    if not EXAMPLE_FEEDBACK.exists() or surveys.responses(db=db, event_id=event_id, limit=1):
        return
    surveys.import_csv(
        db=db,
        event_id=event_id,
        raw=EXAMPLE_FEEDBACK.read_bytes(),
        mapping={"text": "反馈内容", "rating": "评分", "submitted_at": "提交时间"},
        encoding="utf-8",
        actor=actor,
        clock=clock,
    )


def demo(
    plan: Path = typer.Option(EXAMPLE_PLAN, help="Plan file to load."),
    serve: bool = typer.Option(True, help="Serve after preparing (--no-serve only prepares)."),
) -> None:
    """Set up the demo (embedded SQLite, example plan, admin login) and serve it."""
    slug, password, number = prepare_demo(plan)
    cfg = settings()
    console.print(f"[bold]EventGuard demo[/bold]: event [cyan]{slug}[/cyan], plan version {number}")
    console.print(f"  console  {cfg.base_url}/")
    console.print(f"  API docs {cfg.base_url}/docs")
    console.print(f"  login    user [bold]{DEMO_ADMIN}[/bold]  password [bold]{password}[/bold]")
    if serve:
        from eventguard.cli.serve import serve as run_server

        run_server(host=None, port=None, worker=True, journal=True, workers=1)
