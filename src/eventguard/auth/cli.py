"""`eventguard user …` and `eventguard token …`: accounts and API tokens from the shell.

The CLI acts as ``Actor.cli()`` with full authority: whoever can run it can read the database anyway.
"""

from __future__ import annotations

from datetime import timedelta

import typer
from rich.table import Table
from sqlalchemy.orm import Session

from eventguard.audit.service import Actor
from eventguard.auth import service
from eventguard.auth.models import Role, User
from eventguard.auth.tokens import Scope
from eventguard.cli_context import console, open_session, settings
from eventguard.clock import SystemClock
from eventguard.errors import NotFound
from eventguard.i18n import Message, t

user_app = typer.Typer(help="Users, their roles and passwords.", no_args_is_help=True)
token_app = typer.Typer(help="API tokens (secrets are shown once).", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    """Adds `eventguard user …` and `eventguard token …`."""
    app.add_typer(user_app, name="user")
    app.add_typer(token_app, name="token")


def _say(message: Message) -> None:
    console.print(message.render(settings().default_language), markup=False, highlight=False)


def _user(db: Session, username: str) -> User:
    user = service.get_user_by_username(db=db, username=username)
    if user is None:
        raise NotFound(Message("No user named {username}.", {"username": username}), code="user_not_found")
    return user


def _ask_password(password: str | None) -> str:
    if password is not None:
        return password
    prompt = t("Password", settings().default_language)
    value: str = typer.prompt(prompt, hide_input=True, confirmation_prompt=True)
    return value


@user_app.command("create")
def user_create(
    username: str = typer.Argument(..., help="Login name (lower-case letters, digits, . _ @ -)."),
    role: Role = typer.Option(..., "--role", help="viewer, responder, commander or admin."),
    password: str | None = typer.Option(None, help="Initial password (prompted when left out)."),
    email: str | None = typer.Option(None, help="E-mail address."),
    display_name: str | None = typer.Option(None, "--display-name", help="Name shown to others."),
    language: str = typer.Option("zh-CN", help="zh-CN or en."),
) -> None:
    """Create a user."""
    secret = _ask_password(password)
    with open_session() as db:
        user = service.create_user(
            db=db,
            username=username,
            password=secret,
            role=role,
            actor=Actor.cli(),
            clock=SystemClock(),
            display_name=display_name,
            email=email,
            language=language,
        )
        db.commit()
        _say(
            Message(
                "Created user {username} ({role}), id {id}.",
                {"username": user.username, "role": user.role.value, "id": user.id},
            )
        )


@user_app.command("list")
def user_list() -> None:
    """List users."""
    lang = settings().default_language
    table = Table("id", t("Username", lang), t("Name", lang), t("Role", lang), t("Active", lang), "2FA")
    with open_session() as db:
        for user in service.list_users(db=db):
            active, two_factor = ("✓" if user.is_active else "-"), ("✓" if user.totp_enabled else "-")
            table.add_row(str(user.id), user.username, user.display_name, user.role.value, active, two_factor)
    console.print(table)


@user_app.command("set-password")
def user_set_password(
    username: str = typer.Argument(...),
    password: str | None = typer.Option(None, help="New password (prompted when left out)."),
) -> None:
    """Set a user's password; ends their console sessions and lifts a login lock-out."""
    secret = _ask_password(password)
    with open_session() as db:
        user = _user(db, username)
        service.set_password(db=db, user=user, password=secret, actor=Actor.cli(), clock=SystemClock())
        db.commit()
    _say(Message("Password of {username} changed.", {"username": user.username}))


@user_app.command("set-role")
def user_set_role(username: str = typer.Argument(...), role: Role = typer.Argument(...)) -> None:
    """Change a user's role."""
    with open_session() as db:
        user = _user(db, username)
        service.update_user(db=db, user=user, role=role, actor=Actor.cli(), clock=SystemClock())
        db.commit()
    _say(Message("{username} is now {role}.", {"username": user.username, "role": role.value}))


@user_app.command("unlock")
def user_unlock(username: str = typer.Argument(...)) -> None:
    """Forget a name's failed logins, lifting a lock-out."""
    with open_session() as db:
        service.unlock_login(db=db, username=username, actor=Actor.cli(), clock=SystemClock())
        db.commit()
    _say(Message("Failed logins of {username} forgotten.", {"username": username}))


@user_app.command("reset-totp")
def user_reset_totp(username: str = typer.Argument(...)) -> None:
    """Turn a user's two-factor authentication off (a lost phone); they enrol again at next login."""
    with open_session() as db:
        user = _user(db, username)
        service.totp_disable(db=db, user=user, code=None, actor=Actor.cli(), clock=SystemClock())
        db.commit()
    _say(Message("Two-factor authentication of {username} turned off.", {"username": user.username}))


@token_app.command("create")
def token_create(
    username: str = typer.Argument(..., help="Owner of the token."),
    name: str = typer.Option(..., "--name", help="What the token is for, e.g. 'grafana'."),
    scope: list[Scope] = typer.Option(..., "--scope", help="read, write or admin (repeatable)."),
    expires_days: int | None = typer.Option(None, "--expires-days", min=1, help="Expire after N days."),
) -> None:
    """Create an API token and print its secret (shown this once only)."""
    clock = SystemClock()
    expires_at = clock.now() + timedelta(days=expires_days) if expires_days else None
    with open_session() as db:
        user = _user(db, username)
        token, secret = service.create_token(
            db=db,
            user=user,
            name=name,
            scopes=[s.value for s in scope],
            actor=Actor.cli(),
            clock=clock,
            expires_at=expires_at,
        )
        db.commit()
    _say(
        Message(
            "Token {id} created for {username}. Copy the secret now; it is not shown again:",
            {"id": token.id, "username": user.username},
        )
    )
    console.print(secret, markup=False, highlight=False, soft_wrap=True)


@token_app.command("list")
def token_list(username: str | None = typer.Argument(None, help="Only this user's tokens.")) -> None:
    """List API tokens that are not revoked (never their secrets)."""
    lang = settings().default_language
    table = Table(
        "id", t("User", lang), t("Name", lang), "prefix", "scopes", t("Expires", lang), t("Last used", lang)
    )
    with open_session() as db:
        owner = _user(db, username) if username else None
        names = {user.id: user.username for user in service.list_users(db=db)}
        for token in service.list_tokens(db=db, user=owner):
            table.add_row(
                str(token.id),
                names.get(token.user_id, "?"),
                token.name,
                token.prefix,
                ",".join(token.scopes),
                token.expires_at.isoformat(timespec="minutes") if token.expires_at else "-",
                token.last_used_at.isoformat(timespec="minutes") if token.last_used_at else "-",
            )
    console.print(table)


@token_app.command("revoke")
def token_revoke(token_id: int = typer.Argument(..., help="Token id (see `token list`).")) -> None:
    """Revoke a token; it stops working at once."""
    with open_session() as db:
        token = service.get_token(db=db, token_id=token_id)
        service.revoke_token(db=db, token=token, actor=Actor.cli(), clock=SystemClock())
        db.commit()
    _say(Message("Token {id} revoked.", {"id": token_id}))
