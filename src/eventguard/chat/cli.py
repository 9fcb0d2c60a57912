"""`eventguard chat …`: chat apps, war rooms and linked chat accounts from the command line."""

from __future__ import annotations

import os

import typer
from rich.table import Table

from eventguard.audit.service import Actor
from eventguard.auth import accounts
from eventguard.chat import apps, identities, rooms
from eventguard.cli_context import console, open_session, settings
from eventguard.clock import Clock, SystemClock
from eventguard.errors import InvalidInput, NotFound
from eventguard.events import service as events
from eventguard.i18n import Message, t
from eventguard.incidents import service as incidents
from eventguard.plans import service as plans

chat_app = typer.Typer(
    help="War rooms in Slack, Feishu/Lark, DingTalk and WeCom, and commands from chat.", no_args_is_help=True
)
CLOCK: Clock = SystemClock()  # tests freeze it


def register(app: typer.Typer) -> None:
    """Adds `eventguard chat …`."""
    app.add_typer(chat_app, name="chat")


def _pairs(values: list[str], what: str) -> dict[str, str]:
    found = {}
    for value in values:
        name, sep, rest = value.partition("=")
        if not sep or not name:
            raise InvalidInput(
                Message("Write {what} as NAME=VALUE, not {value}.", {"what": what, "value": value}),
                code="invalid_pair",
            )
        found[name] = rest
    return found


@chat_app.command("app-set")
def app_set(
    event: str = typer.Argument(..., help="Event slug."),
    platform: str = typer.Argument(..., help="slack, feishu, dingtalk or wecom."),
    app_id: str = typer.Option(
        ..., "--app-id", help="Slack app id, Feishu app_id, DingTalk AppKey, WeCom CorpID."
    ),
    secret_env: list[str] = typer.Option(
        [], "--secret-env", help="NAME=ENV_VAR: read a secret from the environment (repeatable)."
    ),
    setting: list[str] = typer.Option(
        [], "--setting", help="NAME=VALUE: a non-secret option, e.g. team_id=T123."
    ),
    base_url: str | None = typer.Option(None, "--base-url", help="API base URL (default: the platform's)."),
    author: str = typer.Option("cli", "--author", help="Who sets it."),
) -> None:
    """Set an event's chat app; secrets are read from environment variables, stored encrypted."""
    secrets = {}
    for name, variable in _pairs(secret_env, "--secret-env").items():
        value = os.environ.get(variable)
        if not value:
            raise InvalidInput(
                Message("The environment variable {name} is not set.", {"name": variable}),
                code="secret_env_missing",
            )
        secrets[name] = value
    with open_session() as db:
        found = events.get_by_slug(db=db, slug=event)
        row = apps.configure(
            db=db,
            event_id=found.id,
            platform=platform,
            app_id=app_id,
            secrets=secrets,
            settings=_pairs(setting, "--setting"),
            base_url=base_url,
            secret_key=settings().secret_key.get_secret_value(),
            actor=Actor.cli(author),
            clock=CLOCK,
        )
        db.commit()
        console.print(
            t(
                "The {platform} app of {event} is set; its callback URL: {url}",
                settings().default_language,
                platform=row.platform,
                event=event,
                url=f"{settings().base_url}/api/v1/chat/{row.platform}/{event}/callback",
            )
        )


@chat_app.command("open")
def room_open(
    incident_id: int = typer.Argument(..., help="Incident id."),
    platform: list[str] = typer.Option([], "--platform", help="Only this platform (repeatable)."),
    author: str = typer.Option("cli", "--author", help="Who opens it."),
) -> None:
    """Open the incident's war rooms now (the worker creates them within seconds)."""
    with open_session() as db:
        incident = incidents.get(db=db, incident_id=incident_id, for_update=True)
        spec = plans.get_active_plan(db=db, event_id=incident.event_id)
        wanted = [apps.check_platform(p) for p in platform] or None
        rooms.request(
            db=db,
            incident=incident,
            spec=spec,
            actor=Actor.cli(author),
            clock=CLOCK,
            platforms=wanted,
            by_hand=True,
        )
        db.commit()
        _print_rooms(db, incident_id)


@chat_app.command("rooms")
def room_list(incident_id: int = typer.Argument(..., help="Incident id.")) -> None:
    """The incident's war rooms."""
    with open_session() as db:
        incidents.get(db=db, incident_id=incident_id)
        _print_rooms(db, incident_id)


def _print_rooms(db: object, incident_id: int) -> None:
    from sqlalchemy.orm import Session

    assert isinstance(db, Session)
    table = Table("platform", "status", "name", "chat id", "link", "members", "error")
    for room in rooms.for_incident(db=db, incident_id=incident_id):
        table.add_row(
            room.platform,
            room.status,
            room.name,
            room.chat_id or "",
            room.link or "",
            str(len(room.members)),
            room.last_error or "",
        )
    console.print(table)


@chat_app.command("link")
def link_user(
    username: str = typer.Argument(..., help="EventGuard user name."),
    platform: str = typer.Argument(..., help="slack, feishu, dingtalk or wecom."),
    external_id: str = typer.Argument(
        ..., help="The user's id on the platform (Slack member id, Feishu open_id)."
    ),
    author: str = typer.Option("cli", "--author", help="Who links it."),
) -> None:
    """Link a chat account to an EventGuard user: its commands act as that user, with its role."""
    with open_session() as db:
        user = accounts.get_user_by_username(db=db, username=username.lower())
        if user is None:
            raise NotFound(Message("No user {name}.", {"name": username}), code="user_not_found")
        identities.link(
            db=db, user=user, platform=platform, external_id=external_id, actor=Actor.cli(author), clock=CLOCK
        )
        db.commit()
    console.print(
        t(
            "{platform} account {id} linked to {user}.",
            settings().default_language,
            platform=platform,
            id=external_id,
            user=username,
        )
    )
