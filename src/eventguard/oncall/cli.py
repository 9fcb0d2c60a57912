"""`eventguard oncall …`: who is on call, the shifts ahead, overrides and feed URLs from the shell.

Times are shown in each schedule's time zone; ``--start`` and ``--end`` take ISO 8601 with an offset.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import typer
from rich.table import Table
from sqlalchemy.orm import Session

from eventguard.audit.service import Actor
from eventguard.cli_context import console, open_session, settings
from eventguard.clock import SystemClock
from eventguard.errors import InvalidInput
from eventguard.events import service as events
from eventguard.i18n import Message, t
from eventguard.oncall import rotation, service
from eventguard.plans import service as plans
from eventguard.plans.schemas import PlanSpec

oncall_app = typer.Typer(
    help="On-call: who is on call, shifts, overrides, calendar feeds.", no_args_is_help=True
)
override_app = typer.Typer(help="Overrides: put someone on call by hand for a window.", no_args_is_help=True)
oncall_app.add_typer(override_app, name="override")
CLOCK = SystemClock()
_SOURCES = {
    "override": Message("an override"),
    "schedule": Message("the schedule"),
    "lead": Message("the team lead"),
    "nobody": Message("nobody"),
}


def register(app: typer.Typer) -> None:
    """Adds `eventguard oncall …`."""
    app.add_typer(oncall_app, name="oncall")


def _lang() -> str:
    return settings().default_language


def _plan(db: Session, slug: str) -> tuple[int, PlanSpec]:
    event = events.get_by_slug(db=db, slug=slug)
    return event.id, plans.get_active_plan(db=db, event_id=event.id)


def _name(spec: PlanSpec, person_id: str) -> str:
    return next((person.name for person in spec.people if person.id == person_id), person_id)


def _local(moment: datetime, zone: str) -> str:
    return moment.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d %a %H:%M %Z")


def _moment(text: str, name: str) -> datetime:
    try:
        value = datetime.fromisoformat(text)
    except ValueError as exc:
        raise InvalidInput(
            Message(
                "Invalid {name} time {value}; write it like 2026-06-16T08:00:00+08:00.",
                {"name": name, "value": text},
            ),
            code="invalid_datetime",
        ) from exc
    if value.tzinfo is None:
        raise InvalidInput(
            Message("The {name} time needs a UTC offset, like 2026-06-16T08:00:00+08:00.", {"name": name}),
            code="naive_datetime",
        )
    return value


@oncall_app.command("now")
def oncall_now(
    slug: str = typer.Argument(..., help="Event slug."),
    team: str | None = typer.Option(None, "--team", help="Only this team."),
) -> None:
    """Who is on call now for every team (or one), and why."""
    lang = _lang()
    with open_session() as db:
        event_id, spec = _plan(db, slug)
        teams = [item for item in spec.teams if team is None or item.id == team]
        if team is not None and not teams:
            raise InvalidInput(
                Message('The plan has no team "{team}".', {"team": team}), code="team_not_found"
            )
        now = CLOCK.now()
        table = Table(t("Team", lang), t("On call", lang), t("Source", lang), t("Schedule", lang))
        for item in teams:
            found = service.team_on_call(db=db, event_id=event_id, spec=spec, team_id=item.id, at=now)
            people = ", ".join(_name(spec, person) for person in found.people) or t("nobody", lang)
            source = _SOURCES[found.source].render(lang)
            table.add_row(item.name.get(lang), people, source, found.schedule_id or "")
    console.print(table)


@oncall_app.command("shifts")
def oncall_shifts(
    slug: str = typer.Argument(..., help="Event slug."),
    schedule: str = typer.Argument(..., help="Schedule id."),
    days: int = typer.Option(7, "--days", min=1, max=93, help="How many days ahead."),
) -> None:
    """The schedule's shifts from now on, in its time zone (overrides included)."""
    lang = _lang()
    with open_session() as db:
        event_id, spec = _plan(db, slug)
        found = service.get_schedule(spec=spec, schedule_id=schedule)
        zone = found.timezone or spec.event.timezone
        now = CLOCK.now()
        shifts = service.schedule_shifts(
            db=db,
            event_id=event_id,
            spec=spec,
            schedule_id=schedule,
            start=now,
            end=now + timedelta(days=days),
        )
        table = Table(t("Start", lang), t("End", lang), t("On call", lang), t("Layer", lang), title=zone)
        for shift in shifts:
            layer = t("Override", lang) if shift.layer == rotation.OVERRIDE_LAYER else shift.layer
            table.add_row(
                _local(shift.start, zone), _local(shift.end, zone), _name(spec, shift.person), layer
            )
    console.print(table)


ActorOption = typer.Option(None, "--as", help="Name recorded in the audit log.")


@override_app.command("create")
def override_create(
    slug: str = typer.Argument(..., help="Event slug."),
    schedule: str = typer.Argument(..., help="Schedule id."),
    person: str = typer.Argument(..., help="Person id."),
    start: str = typer.Option(..., "--start", help="ISO 8601 with offset."),
    end: str = typer.Option(..., "--end", help="ISO 8601 with offset."),
    reason: str | None = typer.Option(None, "--reason"),
    actor: str | None = ActorOption,
) -> None:
    """Put PERSON on call for SCHEDULE from --start to --end; prints the override's id."""
    with open_session() as db:
        event_id, spec = _plan(db, slug)
        override = service.create_override(
            db=db,
            event_id=event_id,
            spec=spec,
            schedule_id=schedule,
            person_id=person,
            start=_moment(start, "start"),
            end=_moment(end, "end"),
            reason=reason,
            actor=Actor.cli(actor or "cli"),
            clock=CLOCK,
        )
        db.commit()
        console.print(f"{override.id}", markup=False)


@override_app.command("list")
def override_list(
    slug: str = typer.Argument(..., help="Event slug."),
    schedule: str | None = typer.Option(None, "--schedule", help="Only this schedule."),
    include_past: bool = typer.Option(False, "--past", help="Also overrides that have ended."),
) -> None:
    """The event's overrides, by start."""
    lang = _lang()
    with open_session() as db:
        event_id, spec = _plan(db, slug)
        rows = service.list_overrides(
            db=db, event_id=event_id, schedule_id=schedule, since=None if include_past else CLOCK.now()
        )
        table = Table(
            "id", t("Schedule", lang), t("On call", lang), t("Start", lang), t("End", lang), t("Reason", lang)
        )
        for row in rows:
            zone = spec.event.timezone
            table.add_row(
                str(row.id),
                row.schedule_id,
                _name(spec, row.person_id),
                _local(row.start, zone),
                _local(row.end, zone),
                row.reason or "",
            )
    console.print(table)


@override_app.command("delete")
def override_delete(override_id: int, actor: str | None = ActorOption) -> None:
    """Remove the override OVERRIDE_ID."""
    with open_session() as db:
        override = service.get_override(db=db, override_id=override_id)
        service.delete_override(db=db, override=override, actor=Actor.cli(actor or "cli"), clock=CLOCK)
        db.commit()


@oncall_app.command("feed-url")
def oncall_feed_url(
    slug: str = typer.Argument(..., help="Event slug."),
    schedule: str | None = typer.Option(None, "--schedule", help="The feed of this schedule."),
    person: str | None = typer.Option(None, "--person", help="The feed of this person."),
) -> None:
    """Print the signed iCal feed URL of a schedule or a person (valid until the secret key changes)."""
    with open_session() as db:
        _event_id, spec = _plan(db, slug)
        if (schedule is None) == (person is None):
            raise InvalidInput(Message("Give exactly one of --schedule or --person."), code="feed_target")
        if schedule is not None:
            service.get_schedule(spec=spec, schedule_id=schedule)
            url = service.feed_url(settings=settings(), slug=slug, kind="schedules", item_id=schedule)
        else:
            service.get_person(spec=spec, person_id=str(person))
            url = service.feed_url(settings=settings(), slug=slug, kind="people", item_id=str(person))
    console.print(url, markup=False, soft_wrap=True)
