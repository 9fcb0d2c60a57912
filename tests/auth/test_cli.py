"""`eventguard user …` and `eventguard token …` against the test database."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import typer
from sqlalchemy import select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from eventguard.audit.models import AuditEntry
from eventguard.auth import cli, passwords, service, tokens
from eventguard.auth.models import ApiToken, Role
from eventguard.clock import FrozenClock
from eventguard.config import get_settings
from eventguard.db import Database
from tests.auth.factories import make_token, make_user


@pytest.fixture
def run(database: Database, db: Session, monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRunner]:
    monkeypatch.setenv("EVENTGUARD_DATABASE_URL", database.url)
    monkeypatch.setenv("EVENTGUARD_DEFAULT_LANGUAGE", "en")
    get_settings.cache_clear()
    yield CliRunner()
    get_settings.cache_clear()


def _app() -> typer.Typer:
    app = typer.Typer()
    cli.register(app)
    return app


def test_user_create_makes_a_user_with_a_hashed_password(run: CliRunner, db: Session) -> None:
    result = run.invoke(
        _app(),
        [
            "user",
            "create",
            "Alice",
            "--role",
            "commander",
            "--password",
            "a long password",
            "--email",
            "alice@example.com",
            "--display-name",
            "Alice W",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "Created user alice (commander)" in result.output
    user = service.get_user_by_username(db=db, username="alice")
    assert user is not None
    assert (user.role, user.email, user.display_name) == (Role.commander, "alice@example.com", "Alice W")
    assert passwords.verify_password(user.password_hash, "a long password")
    (entry,) = db.scalars(select(AuditEntry).where(AuditEntry.action == "user.create"))
    assert entry.actor_type == "cli"


def test_user_create_prompts_for_the_password(run: CliRunner, db: Session) -> None:
    result = run.invoke(_app(), ["user", "create", "bob", "--role", "viewer"], input="a long password\n" * 2)
    assert result.exit_code == 0, result.output
    user = service.get_user_by_username(db=db, username="bob")
    assert user is not None and passwords.verify_password(user.password_hash, "a long password")


def test_user_create_reports_a_weak_password_and_fails(run: CliRunner, db: Session) -> None:
    result = run.invoke(_app(), ["user", "create", "bob", "--role", "viewer", "--password", "short"])
    assert result.exit_code == 1
    assert "at least 10 characters" in result.output
    assert service.get_user_by_username(db=db, username="bob") is None


def test_user_create_refuses_an_unknown_role(run: CliRunner) -> None:
    result = run.invoke(_app(), ["user", "create", "bob", "--role", "god", "--password", "a long password"])
    assert result.exit_code == 2


def test_user_list_shows_every_user(run: CliRunner, db: Session, clock: FrozenClock) -> None:
    make_user(db, clock, "alice", role=Role.admin)
    make_user(db, clock, "bob")
    result = run.invoke(_app(), ["user", "list"])
    assert result.exit_code == 0, result.output
    assert "alice" in result.output and "admin" in result.output and "bob" in result.output


def test_user_set_password_and_set_role(run: CliRunner, db: Session, clock: FrozenClock) -> None:
    make_user(db, clock, "bob")
    assert (
        run.invoke(_app(), ["user", "set-password", "bob", "--password", "another password"]).exit_code == 0
    )
    assert run.invoke(_app(), ["user", "set-role", "bob", "responder"]).exit_code == 0
    db.expire_all()
    user = service.get_user_by_username(db=db, username="bob")
    assert user is not None
    assert user.role == Role.responder
    assert passwords.verify_password(user.password_hash, "another password")


def test_an_unknown_user_is_a_clear_error(run: CliRunner) -> None:
    result = run.invoke(_app(), ["user", "set-role", "nobody", "admin"])
    assert result.exit_code == 1
    assert "No user named nobody" in result.output


def test_token_create_prints_the_secret_once_and_stores_its_hash(
    run: CliRunner, db: Session, clock: FrozenClock
) -> None:
    make_user(db, clock, "alice", role=Role.commander)
    result = run.invoke(
        _app(), ["token", "create", "alice", "--name", "grafana", "--scope", "write", "--expires-days", "30"]
    )
    assert result.exit_code == 0, result.output
    secret = result.output.strip().splitlines()[-1]
    token = db.scalars(select(ApiToken)).one()
    assert token.token_hash == tokens.hash_secret(secret)
    assert token.scopes == ["write"]
    assert token.expires_at is not None
    db.commit()  # ends the read: SQLite lets one transaction at a time hold the database
    listed = run.invoke(_app(), ["token", "list", "alice"])
    assert listed.exit_code == 0
    assert "grafana" in listed.output and token.prefix in listed.output
    assert secret not in listed.output


def test_token_revoke_stops_the_token(run: CliRunner, db: Session, clock: FrozenClock) -> None:
    user = make_user(db, clock, "alice", role=Role.commander)
    secret = make_token(db, clock, user, "write")
    token = service.find_token(db=db, secret=secret)
    assert token is not None
    db.commit()
    result = run.invoke(_app(), ["token", "revoke", str(token.id)])
    assert result.exit_code == 0, result.output
    db.expire_all()
    assert service.find_token(db=db, secret=secret).revoked_at is not None  # type: ignore[union-attr]


def test_user_unlock_lifts_a_lock_out(run: CliRunner, db: Session, clock: FrozenClock) -> None:
    make_user(db, clock, "alice")
    for _ in range(5):
        with pytest.raises(Exception):  # noqa: B017 - the failures themselves are tested elsewhere
            service.login(db=db, username="alice", password="wrong password", totp_code=None, clock=clock)
        db.commit()
    assert run.invoke(_app(), ["user", "unlock", "alice"]).exit_code == 0
    service.login(db=db, username="alice", password="correct horse battery", totp_code=None, clock=clock)
