"""Login with lock-out and two-factor, sessions with sliding expiry, logout."""

from __future__ import annotations

from datetime import timedelta

import pytest
from argon2 import PasswordHasher
from sqlalchemy import select
from sqlalchemy.orm import Session

from eventguard.audit.models import AuditEntry
from eventguard.audit.service import Actor
from eventguard.auth import passwords, service, sessions, tokens, usage
from eventguard.auth.models import Role
from eventguard.auth.service import LoginLocked
from eventguard.clock import FrozenClock
from eventguard.db import Database
from eventguard.errors import EventGuardError, Unauthorized
from tests.auth.factories import PASSWORD, apply_example_plan, code_at, enrol, make_user, wrong_code


def _login(
    db: Session,
    clock: FrozenClock,
    username: str = "alice",
    password: str = PASSWORD,
    totp_code: str | None = None,
) -> str:
    _user, secret = service.login(
        db=db, username=username, password=password, totp_code=totp_code, clock=clock
    )
    db.commit()
    return secret


def _fail(db: Session, clock: FrozenClock, username: str = "alice", password: str = "wrong password") -> str:
    with pytest.raises(EventGuardError) as caught:
        service.login(db=db, username=username, password=password, totp_code=None, clock=clock)
    db.commit()
    return caught.value.code


def test_a_login_opens_a_session_for_the_user(db: Session, clock: FrozenClock) -> None:
    user = make_user(db, clock, "alice", role=Role.commander)
    secret = _login(db, clock, "ALICE")
    principal = service.authenticate_token(db=db, secret=secret, clock=clock, request_id=None)
    assert principal.user.id == user.id
    assert principal.role == Role.commander
    assert principal.is_session
    assert principal.actor.type == "user"
    assert not principal.totp_enrolment_only
    assert user.last_login_at == clock.now()
    (entry,) = db.scalars(select(AuditEntry).where(AuditEntry.action == "user.login"))
    assert entry.actor_id == user.id


def test_a_wrong_password_and_an_unknown_user_look_the_same(db: Session, clock: FrozenClock) -> None:
    make_user(db, clock, "alice")
    with pytest.raises(Unauthorized) as wrong:
        service.login(db=db, username="alice", password="wrong password", totp_code=None, clock=clock)
    with pytest.raises(Unauthorized) as unknown:
        service.login(db=db, username="nobody", password="wrong password", totp_code=None, clock=clock)
    assert wrong.value.code == unknown.value.code == "invalid_credentials"
    assert wrong.value.message == unknown.value.message


def test_five_failures_lock_the_account_for_a_minute(db: Session, clock: FrozenClock) -> None:
    make_user(db, clock, "alice")
    assert [_fail(db, clock) for _ in range(4)] == ["invalid_credentials"] * 4
    assert _fail(db, clock) == "invalid_credentials"  # the fifth failure itself, which starts the lock
    with pytest.raises(LoginLocked) as locked:
        service.login(db=db, username="alice", password=PASSWORD, totp_code=None, clock=clock)
    assert locked.value.status_code == 429
    assert locked.value.details == {"retry_after": 60}
    clock.advance(timedelta(seconds=59))
    assert _fail(db, clock, password=PASSWORD) == "login_locked"  # even the right password
    clock.advance(timedelta(seconds=1))
    _login(db, clock)


def test_the_lock_doubles_with_each_further_failure_up_to_an_hour(db: Session, clock: FrozenClock) -> None:
    make_user(db, clock, "alice")
    for _ in range(5):
        _fail(db, clock)
    waits = []
    for _ in range(8):
        with pytest.raises(LoginLocked) as locked:
            service.login(db=db, username="alice", password="wrong password", totp_code=None, clock=clock)
        seconds = locked.value.details["retry_after"]
        waits.append(seconds)
        clock.advance(timedelta(seconds=seconds))
        _fail(db, clock)
    assert waits == [60, 120, 240, 480, 960, 1920, 3600, 3600]


def test_lock_durations_follow_the_backoff() -> None:
    assert [service.lock_duration(n) for n in (0, 4)] == [None, None]
    assert service.lock_duration(5) == timedelta(minutes=1)
    assert service.lock_duration(7) == timedelta(minutes=4)
    assert service.lock_duration(1000) == timedelta(hours=1)


def test_an_unknown_name_is_locked_like_a_real_one(db: Session, clock: FrozenClock) -> None:
    for _ in range(5):
        assert _fail(db, clock, "nobody") == "invalid_credentials"
    assert _fail(db, clock, "nobody") == "login_locked"


def test_a_success_forgets_earlier_failures(db: Session, clock: FrozenClock) -> None:
    make_user(db, clock, "alice")
    for _ in range(4):
        _fail(db, clock)
    _login(db, clock)
    for _ in range(4):
        assert _fail(db, clock) == "invalid_credentials"


def test_failures_are_forgotten_after_a_day(db: Session, clock: FrozenClock) -> None:
    make_user(db, clock, "alice")
    for _ in range(4):
        _fail(db, clock)
    clock.advance(sessions.FAILURE_MEMORY + timedelta(seconds=1))
    for _ in range(4):
        assert _fail(db, clock) == "invalid_credentials"


def test_a_lock_is_audited_and_can_be_lifted(db: Session, clock: FrozenClock) -> None:
    make_user(db, clock, "alice")
    for _ in range(5):
        _fail(db, clock)
    (entry,) = db.scalars(select(AuditEntry).where(AuditEntry.action == "login.lock"))
    assert entry.target_id == "alice"
    assert service.unlock_login(db=db, username="alice", actor=Actor.cli(), clock=clock)
    _login(db, clock)


def test_a_disabled_account_cannot_log_in(db: Session, clock: FrozenClock) -> None:
    user = make_user(db, clock, "alice")
    service.update_user(db=db, user=user, actor=Actor.cli(), clock=clock, is_active=False)
    assert _fail(db, clock, password=PASSWORD) == "account_disabled"


def test_a_login_upgrades_an_outdated_hash(
    db: Session, clock: FrozenClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    user = make_user(db, clock, "alice")
    old_hash = user.password_hash
    stronger = PasswordHasher(time_cost=2, memory_cost=16, parallelism=1)
    monkeypatch.setattr(passwords, "HASHER", stronger)
    _login(db, clock)
    assert user.password_hash != old_hash
    assert "m=16,t=2,p=1" in user.password_hash
    assert not passwords.needs_rehash(user.password_hash)


def _use(database: Database, uses: usage.TokenUses, secret: str, clock: FrozenClock) -> None:
    """One request with the session: authenticated in a read session, its use written after."""
    with database.session() as request:
        service.authenticate_token(db=request, secret=secret, clock=clock, request_id=None, uses=uses)
    uses.flush()


def test_a_session_slides_its_expiry_while_used(database: Database, db: Session, clock: FrozenClock) -> None:
    make_user(db, clock, "alice")
    secret = _login(db, clock)
    uses = usage.TokenUses(database)
    for _ in range(3):
        clock.advance(tokens.SESSION_IDLE_TIMEOUT - timedelta(minutes=1))
        _use(database, uses, secret, clock)
    clock.advance(tokens.SESSION_IDLE_TIMEOUT)
    with pytest.raises(Unauthorized) as caught:
        _use(database, uses, secret, clock)
    assert caught.value.code == "token_expired"


def test_a_session_ends_after_its_maximum_age_however_used(
    database: Database, db: Session, clock: FrozenClock
) -> None:
    make_user(db, clock, "alice")
    secret = _login(db, clock)
    uses = usage.TokenUses(database)
    hours = 0
    while hours < 24 * 30:
        clock.advance(timedelta(hours=6))
        hours += 6
        try:
            _use(database, uses, secret, clock)
        except Unauthorized:
            break
    assert timedelta(hours=hours) == tokens.SESSION_MAX_AGE


def test_logout_ends_the_session(db: Session, clock: FrozenClock) -> None:
    make_user(db, clock, "alice")
    secret = _login(db, clock)
    principal = service.authenticate_token(db=db, secret=secret, clock=clock, request_id=None)
    service.logout(db=db, principal=principal, clock=clock)
    with pytest.raises(Unauthorized):
        service.authenticate_token(db=db, secret=secret, clock=clock, request_id=None)


def test_two_factor_users_need_a_code_at_login(db: Session, clock: FrozenClock) -> None:
    user = make_user(db, clock, "alice", role=Role.admin)
    secret = enrol(db, clock, user)
    assert _fail(db, clock, password=PASSWORD) == "totp_required"
    with pytest.raises(Unauthorized) as wrong:
        service.login(
            db=db, username="alice", password=PASSWORD, totp_code=wrong_code(secret, clock.now()), clock=clock
        )
    assert wrong.value.code == "totp_invalid"
    db.commit()
    _login(db, clock, totp_code=code_at(secret, clock.now()))


def test_a_two_factor_code_cannot_be_used_twice(db: Session, clock: FrozenClock) -> None:
    user = make_user(db, clock, "alice", role=Role.admin)
    secret = enrol(db, clock, user)
    code = code_at(secret, clock.now())
    _login(db, clock, totp_code=code)
    clock.advance(timedelta(seconds=10))
    with pytest.raises(Unauthorized) as replay:
        service.login(db=db, username="alice", password=PASSWORD, totp_code=code, clock=clock)
    assert replay.value.code == "totp_invalid"


def test_wrong_two_factor_codes_count_towards_the_lock(db: Session, clock: FrozenClock) -> None:
    user = make_user(db, clock, "alice", role=Role.admin)
    secret = enrol(db, clock, user)
    for _ in range(5):
        with pytest.raises(Unauthorized):
            service.login(
                db=db,
                username="alice",
                password=PASSWORD,
                totp_code=wrong_code(secret, clock.now()),
                clock=clock,
            )
        db.commit()
    assert _fail(db, clock, password=PASSWORD) == "login_locked"


def test_the_plan_can_require_two_factor_for_a_role(db: Session, clock: FrozenClock) -> None:
    commander = make_user(db, clock, "cmd", role=Role.commander)
    make_user(db, clock, "resp", role=Role.responder)
    assert not service.authenticate_token(
        db=db, secret=_login(db, clock, "cmd"), clock=clock, request_id=None
    ).totp_enrolment_only
    apply_example_plan(db, clock)  # require_2fa_for: [commander, admin]
    limited = service.authenticate_token(db=db, secret=_login(db, clock, "cmd"), clock=clock, request_id=None)
    assert limited.totp_enrolment_only
    full = service.authenticate_token(db=db, secret=_login(db, clock, "resp"), clock=clock, request_id=None)
    assert not full.totp_enrolment_only
    secret = enrol(db, clock, commander)
    enrolled = _login(db, clock, "cmd", totp_code=code_at(secret, clock.now()))
    assert not service.authenticate_token(
        db=db, secret=enrolled, clock=clock, request_id=None
    ).totp_enrolment_only
