"""Users: creation, changes, passwords, and what the audit log keeps of them."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from eventguard.audit.models import AuditEntry
from eventguard.audit.service import Actor
from eventguard.auth import passwords, service
from eventguard.auth.models import Role
from eventguard.clock import FrozenClock
from eventguard.errors import Conflict, InvalidInput, NotFound, Unauthorized
from tests.auth.factories import PASSWORD, make_token, make_user


def _entries(db: Session, action: str) -> list[AuditEntry]:
    return list(db.scalars(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)))


def test_it_stores_an_argon2_hash_and_never_the_password(db: Session, clock: FrozenClock) -> None:
    user = make_user(db, clock, "Alice", role=Role.responder)
    assert user.username == "alice"
    assert user.password_hash.startswith("$argon2id$")
    assert PASSWORD not in user.password_hash
    assert passwords.verify_password(user.password_hash, PASSWORD)
    assert user.display_name == "alice"
    assert user.language == "zh-CN"
    assert user.created_at == clock.now()


def test_it_audits_a_new_user_without_the_hash(db: Session, clock: FrozenClock) -> None:
    user = make_user(db, clock, "alice", role=Role.admin)
    (entry,) = _entries(db, "user.create")
    assert entry.actor_type == "cli"
    assert entry.target_type == "user"
    assert entry.target_id == str(user.id)
    assert entry.before is None
    assert entry.after is not None
    assert entry.after["role"] == "admin"
    assert "password_hash" not in entry.after
    assert user.password_hash not in str(entry.after)


def test_a_username_is_unique_whatever_its_case(db: Session, clock: FrozenClock) -> None:
    make_user(db, clock, "alice")
    with pytest.raises(Conflict) as caught:
        make_user(db, clock, "ALICE")
    assert caught.value.code == "username_taken"


@pytest.mark.parametrize("username", ["a", "has space", "-dash-first", "x" * 65, "中文"])
def test_it_refuses_malformed_usernames(db: Session, clock: FrozenClock, username: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        make_user(db, clock, username)
    assert caught.value.code == "invalid_username"


def test_it_applies_the_password_policy_on_creation(db: Session, clock: FrozenClock) -> None:
    with pytest.raises(InvalidInput) as caught:
        make_user(db, clock, "alice", password="alice")
    assert caught.value.code == "password_too_short"
    with pytest.raises(InvalidInput) as same:
        make_user(db, clock, "alice.example", password="Alice.Example")
    assert same.value.code == "password_equals_username"


def test_it_finds_users_by_id_and_name(db: Session, clock: FrozenClock) -> None:
    user = make_user(db, clock, "alice")
    assert service.get_user(db=db, user_id=user.id) is user
    assert service.get_user_by_username(db=db, username=" Alice ") is user
    assert service.get_user_by_username(db=db, username="bob") is None
    with pytest.raises(NotFound):
        service.get_user(db=db, user_id=user.id + 100)
    make_user(db, clock, "bob")
    assert [u.username for u in service.list_users(db=db)] == ["alice", "bob"]


def test_an_update_is_audited_with_before_and_after(db: Session, clock: FrozenClock) -> None:
    user = make_user(db, clock, "alice", role=Role.viewer)
    clock.advance(timedelta(minutes=5))
    service.update_user(
        db=db,
        user=user,
        actor=Actor.cli(),
        clock=clock,
        role=Role.commander,
        language="en",
        display_name="Alice W",
    )
    db.commit()
    (entry,) = _entries(db, "user.update")
    assert entry.before is not None and entry.after is not None
    assert (entry.before["role"], entry.after["role"]) == ("viewer", "commander")
    assert (entry.before["language"], entry.after["language"]) == ("zh-CN", "en")
    assert entry.after["display_name"] == "Alice W"
    assert entry.at == clock.now()
    assert user.updated_at == clock.now()


def test_an_update_that_changes_nothing_is_not_audited(db: Session, clock: FrozenClock) -> None:
    user = make_user(db, clock, "alice", role=Role.viewer)
    service.update_user(db=db, user=user, actor=Actor.cli(), clock=clock, role=Role.viewer)
    assert _entries(db, "user.update") == []


def test_an_update_refuses_an_unknown_language_or_bad_email(db: Session, clock: FrozenClock) -> None:
    user = make_user(db, clock, "alice")
    with pytest.raises(InvalidInput):
        service.update_user(db=db, user=user, actor=Actor.cli(), clock=clock, language="fr")
    with pytest.raises(InvalidInput):
        service.update_user(db=db, user=user, actor=Actor.cli(), clock=clock, email="not an address")
    service.update_user(db=db, user=user, actor=Actor.cli(), clock=clock, email="alice@example.com")
    assert user.email == "alice@example.com"
    service.update_user(db=db, user=user, actor=Actor.cli(), clock=clock, email="")
    assert user.email is None


def test_the_last_active_admin_cannot_be_demoted_or_deactivated(db: Session, clock: FrozenClock) -> None:
    admin = make_user(db, clock, "root", role=Role.admin)
    with pytest.raises(Conflict) as demoted:
        service.update_user(db=db, user=admin, actor=Actor.cli(), clock=clock, role=Role.viewer)
    assert demoted.value.code == "last_admin"
    with pytest.raises(Conflict):
        service.update_user(db=db, user=admin, actor=Actor.cli(), clock=clock, is_active=False)
    make_user(db, clock, "second", role=Role.admin)
    service.update_user(db=db, user=admin, actor=Actor.cli(), clock=clock, role=Role.viewer)
    assert admin.role == Role.viewer


def test_setting_a_password_ends_sessions_and_is_audited_without_it(db: Session, clock: FrozenClock) -> None:
    user = make_user(db, clock, "alice")
    _user, session = service.login(db=db, username="alice", password=PASSWORD, totp_code=None, clock=clock)
    api_secret = make_token(db, clock, user, "read")
    service.set_password(db=db, user=user, password="a new password", actor=Actor.cli(), clock=clock)
    db.commit()
    assert passwords.verify_password(user.password_hash, "a new password")
    with pytest.raises(Unauthorized):
        service.authenticate_token(db=db, secret=session, clock=clock, request_id=None)
    assert service.authenticate_token(db=db, secret=api_secret, clock=clock, request_id=None).user is user
    (entry,) = _entries(db, "user.set_password")
    assert entry.after == {"password": "changed"}


def test_changing_your_password_needs_the_current_one(db: Session, clock: FrozenClock) -> None:
    user = make_user(db, clock, "alice")
    with pytest.raises(Unauthorized) as caught:
        service.change_password(
            db=db,
            user=user,
            old_password="wrong password",
            new_password="a new password",
            actor=Actor.cli(),
            clock=clock,
        )
    assert caught.value.code == "wrong_password"
    with pytest.raises(InvalidInput):
        service.change_password(
            db=db, user=user, old_password=PASSWORD, new_password=PASSWORD, actor=Actor.cli(), clock=clock
        )
    service.change_password(
        db=db, user=user, old_password=PASSWORD, new_password="a new password", actor=Actor.cli(), clock=clock
    )
    assert passwords.verify_password(user.password_hash, "a new password")


def test_changing_your_password_keeps_the_session_you_are_using(db: Session, clock: FrozenClock) -> None:
    user = make_user(db, clock, "alice")
    _u, current = service.login(db=db, username="alice", password=PASSWORD, totp_code=None, clock=clock)
    _u, other = service.login(db=db, username="alice", password=PASSWORD, totp_code=None, clock=clock)
    keep = service.authenticate_token(db=db, secret=current, clock=clock, request_id=None).token_id
    service.change_password(
        db=db,
        user=user,
        old_password=PASSWORD,
        new_password="a new password",
        actor=Actor.cli(),
        clock=clock,
        keep_token_id=keep,
    )
    db.commit()
    service.authenticate_token(db=db, secret=current, clock=clock, request_id=None)
    with pytest.raises(Unauthorized):
        service.authenticate_token(db=db, secret=other, clock=clock, request_id=None)
