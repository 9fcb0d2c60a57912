"""`eventguard silence …` and `eventguard maintenance …`: noise control from the command line."""

from __future__ import annotations

from datetime import datetime, timedelta

import typer
from rich.table import Table

from eventguard.audit.service import Actor
from eventguard.cli_context import console, open_session, settings
from eventguard.clock import Clock, SystemClock
from eventguard.errors import InvalidInput
from eventguard.events import service as events
from eventguard.i18n import Message, t
from eventguard.noise import maintenance, silencing
from eventguard.noise.matchers import Matcher, MatcherError
from eventguard.plans import service as plans
from eventguard.plans.types import parse_duration

silence_app = typer.Typer(
    help="Silences: matching alerts are kept and shown, not paged.", no_args_is_help=True
)
CLOCK: Clock = SystemClock()  # tests freeze it

maintenance_app = typer.Typer(help="Ad-hoc maintenance windows (once, daily, weekly).", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    """Adds `eventguard silence …` and `eventguard maintenance …`."""
    app.add_typer(silence_app, name="silence")
    app.add_typer(maintenance_app, name="maintenance")


def _parsed(matchers: list[str]) -> list[dict[str, str]]:
    try:
        return [Matcher.parse(text).as_dict() for text in matchers]
    except MatcherError as exc:
        raise InvalidInput(
            Message("Bad matchers: {problem}.", {"problem": str(exc)}), code="invalid_matchers"
        ) from None


def _duration(text: str) -> timedelta:
    try:
        return parse_duration(text)
    except ValueError:
        raise InvalidInput(
            Message("Bad duration {value}: use 30m, 2h, 1d …", {"value": text}), code="invalid_duration"
        ) from None


def _when(text: str | None) -> datetime | None:
    if text is None:
        return None
    try:
        found = datetime.fromisoformat(text)
    except ValueError:
        found = None
    if found is None or found.tzinfo is None:
        raise InvalidInput(
            Message("Bad time {value}: use ISO 8601 with an offset.", {"value": text}), code="invalid_time"
        )
    return found


@silence_app.command("create")
def silence_create(
    event: str = typer.Argument(..., help="Event slug."),
    matchers: list[str] = typer.Argument(..., help='Matchers: alertname=X instance=~"edge-.*" env!=prod'),
    duration: str = typer.Option("2h", "--duration", help="How long, from the start (30m, 2h, 1d)."),
    comment: str = typer.Option(..., "--comment", help="Why: shown on every incident it holds."),
    author: str = typer.Option("cli", "--author", help="Who creates it."),
    start: str | None = typer.Option(None, "--start", help="ISO 8601 start with offset (default now)."),
) -> None:
    """Create a silence and print its id."""
    clock = CLOCK
    with open_session() as db:
        found = events.get_by_slug(db=db, slug=event)
        begins = _when(start) or clock.now()
        silence = silencing.create_silence(
            db=db,
            event_id=found.id,
            matchers=_parsed(matchers),
            starts_at=begins,
            ends_at=begins + _duration(duration),
            comment=comment,
            actor=Actor.cli(author),
            source="cli",
            clock=clock,
        )
        db.commit()
        console.print(
            t(
                "Silence {id} created, until {end}.",
                settings().default_language,
                id=silence.id,
                end=silence.ends_at.isoformat(),
            )
        )


@silence_app.command("list")
def silence_list(
    event: str = typer.Argument(..., help="Event slug."),
    expired: bool = typer.Option(False, "--expired", help="Include expired silences."),
) -> None:
    """The event's silences."""
    clock = CLOCK
    with open_session() as db:
        found = events.get_by_slug(db=db, slug=event)
        table = Table("id", "state", "matchers", "starts", "ends", "by", "comment")
        for row in silencing.list_silences(db=db, event_id=found.id, include_expired=expired, at=clock.now()):
            shown = " ".join(str(Matcher.build(m["name"], m["op"], m["value"])) for m in row.matchers)
            table.add_row(
                str(row.id),
                silencing.silence_state(row, clock.now()),
                shown,
                row.starts_at.isoformat(),
                row.ends_at.isoformat(),
                row.created_by,
                row.comment,
            )
    console.print(table)


@silence_app.command("expire")
def silence_expire(
    event: str = typer.Argument(..., help="Event slug."),
    silence_id: int = typer.Argument(..., help="Silence id."),
    author: str = typer.Option("cli", "--author", help="Who expires it."),
) -> None:
    """Expire a silence now."""
    with open_session() as db:
        found = events.get_by_slug(db=db, slug=event)
        silencing.expire_silence(
            db=db, event_id=found.id, silence_id=silence_id, actor=Actor.cli(author), clock=CLOCK
        )
        db.commit()
    console.print(t("Silence {id} expired.", settings().default_language, id=silence_id))


@maintenance_app.command("create")
def maintenance_create(
    event: str = typer.Argument(..., help="Event slug."),
    matchers: list[str] = typer.Argument(..., help='Matchers: component="payments" env!=staging'),
    name: str = typer.Option(..., "--name", help="What the work is."),
    start: str = typer.Option(..., "--start", help="ISO 8601 first start with offset."),
    duration: str = typer.Option(..., "--duration", help="How long each occurrence lasts (30m, 2h)."),
    repeat: str = typer.Option("once", "--repeat", help="once, daily or weekly (in the event's time zone)."),
    until: str | None = typer.Option(None, "--until", help="No occurrence starts at or after it."),
    status_page: list[str] = typer.Option(
        [], "--status-page", help="Post it on the status page for this core function (repeatable)."
    ),
    announce_before: str = typer.Option("24h", "--announce-before", help="Posted this long ahead."),
    notify: bool = typer.Option(True, "--notify/--no-notify", help="Tell subscribers at each step."),
) -> None:
    """Create an ad-hoc maintenance window and print its id; with ``--status-page`` each
    occurrence is posted as the status page's scheduled maintenance."""
    with open_session() as db:
        if repeat not in ("once", "daily", "weekly"):
            raise InvalidInput(Message("Repeat is once, daily or weekly."), code="invalid_repeat")
        begins = _when(start)
        assert begins is not None
        found = events.get_by_slug(db=db, slug=event)
        window = maintenance.create_window(
            db=db,
            event_id=found.id,
            timezone=found.timezone,
            name=name,
            matchers=_parsed(matchers),
            starts_at=begins,
            duration=_duration(duration),
            repeat=repeat,  # type: ignore[arg-type]
            until=_when(until),
            actor=Actor.cli(),
            clock=CLOCK,
            status_page=(
                {"components": status_page, "announce_before": _duration(announce_before), "notify": notify}
                if status_page
                else None
            ),
            known_components=[f.id for f in plans.get_active_plan(db=db, event_id=found.id).core_functions],
        )
        db.commit()
        console.print(t("Maintenance window {id} created.", settings().default_language, id=window.id))


@maintenance_app.command("list")
def maintenance_list(event: str = typer.Argument(..., help="Event slug.")) -> None:
    """The plan's and the ad-hoc maintenance windows, with whether each is on now."""
    now = CLOCK.now()
    with open_session() as db:
        found = events.get_by_slug(db=db, slug=event)
        spec = plans.get_active_plan(db=db, event_id=found.id)
        views = [maintenance.plan_window_view(item, rec, now) for item, rec in maintenance.plan_windows(spec)]
        views += [maintenance.window_view(w, now) for w in maintenance.list_windows(db=db, event_id=found.id)]
    table = Table("id", "origin", "name", "repeat", "on now", "next start", "matchers")
    for view in views:
        shown = " ".join(f'{m["name"]}{m["op"]}"{m["value"]}"' for m in view["matchers"])
        table.add_row(
            str(view["id"]),
            view["origin"],
            view["name"],
            view["repeat"],
            "yes" if view["active"] else "",
            view["next_start"] or "",
            shown,
        )
    console.print(table)


@maintenance_app.command("delete")
def maintenance_delete(
    event: str = typer.Argument(..., help="Event slug."),
    window_id: int = typer.Argument(..., help="Maintenance window id."),
) -> None:
    """Delete an ad-hoc maintenance window."""
    with open_session() as db:
        found = events.get_by_slug(db=db, slug=event)
        maintenance.delete_window(
            db=db, event_id=found.id, window_id=window_id, actor=Actor.cli(), clock=CLOCK
        )
        db.commit()
    console.print(t("Maintenance window {id} deleted.", settings().default_language, id=window_id))
