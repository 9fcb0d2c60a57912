"""Logging in (with lock-out), logging out, and turning a presented token into a Principal.
Reached through ``auth.service``."""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from eventguard.audit.service import Actor, record
from eventguard.auth import credentials, passwords, tokens, usage
from eventguard.auth.accounts import get_user_by_username, normalize_username
from eventguard.auth.models import ApiToken, LoginThrottle, TokenKind, User
from eventguard.auth.principal import Principal
from eventguard.auth.two_factor import check_code
from eventguard.auth.usage import TokenUses
from eventguard.clock import Clock
from eventguard.domains import hook_functions
from eventguard.errors import EventGuardError, Unauthorized
from eventguard.i18n import Message

# After this many consecutive failures a name is locked for FIRST_LOCK, then twice as long after
# each further failure, up to MAX_LOCK. Failures older than FAILURE_MEMORY are forgotten.
MAX_FAILURES = 5
FIRST_LOCK = timedelta(minutes=1)
MAX_LOCK = timedelta(hours=1)
FAILURE_MEMORY = timedelta(hours=24)


class LoginLocked(EventGuardError):
    """Too many failed logins for this name; ``details.retry_after`` says how many seconds to wait."""

    status_code = 429
    code = "login_locked"


def lock_duration(failures: int) -> timedelta | None:
    """How long ``failures`` consecutive failures lock a name (None: not locked)."""
    if failures < MAX_FAILURES:
        return None
    doublings = min(failures - MAX_FAILURES, 16)  # 2**16 minutes is far past the cap already
    lock: timedelta = FIRST_LOCK * (2**doublings)
    return min(lock, MAX_LOCK)


def _invalid_credentials() -> Unauthorized:
    return Unauthorized(Message("The username or password is wrong."), code="invalid_credentials")


def _refuse_if_locked(throttle: LoginThrottle | None, now: datetime) -> None:
    if throttle is None or throttle.locked_until is None or throttle.locked_until <= now:
        return
    seconds = math.ceil((throttle.locked_until - now).total_seconds())
    raise LoginLocked(
        Message("Too many failed logins. Try again in {seconds} seconds.", {"seconds": seconds}),
        details={"retry_after": seconds},
    )


def _throttle_for_failure(*, db: Session, username: str, now: datetime) -> LoginThrottle:
    db.execute(delete(LoginThrottle).where(LoginThrottle.last_failure_at < now - FAILURE_MEMORY))
    throttle = LoginThrottle(username=username, failures=0, last_failure_at=now)
    try:
        with db.begin_nested():
            db.add(throttle)
    except IntegrityError:  # a concurrent failure of the same name made it first
        existing = db.get(LoginThrottle, username, populate_existing=True)
        if existing is None:
            raise
        return existing
    return throttle


def _count_failure(
    *, db: Session, username: str, throttle: LoginThrottle | None, clock: Clock, error: EventGuardError
) -> EventGuardError:
    """Record one failure (flushed: the caller commits it although login raises) and return ``error``."""
    now = clock.now()
    if throttle is None:
        throttle = _throttle_for_failure(db=db, username=username, now=now)
    elif throttle.last_failure_at < now - FAILURE_MEMORY:
        throttle.failures = 0
    throttle.failures += 1
    throttle.last_failure_at = now
    duration = lock_duration(throttle.failures)
    if duration is not None:
        throttle.locked_until = now + duration
        record(
            db=db,
            actor=Actor(type="system", name="login"),
            action="login.lock",
            target_type="login",
            target_id=username,
            clock=clock,
            after={"failures": throttle.failures, "locked_until": throttle.locked_until.isoformat()},
        )
    db.flush()
    return error


def _two_factor_roles(db: Session) -> set[str]:
    # The plan in force says which roles must use two-factor authentication (the plans domain's
    # ``two_factor_roles`` hook, declared in eventguard.domains).
    return {str(role) for policy in hook_functions("two_factor_roles") for role in policy(db=db)}


def _check_credentials(
    *, db: Session, username: str, password: str, totp_code: str | None, clock: Clock
) -> User:
    throttle = db.get(LoginThrottle, username)
    _refuse_if_locked(throttle, clock.now())
    user = get_user_by_username(db=db, username=username)
    if user is None:
        passwords.spend_verification_time(password)
        raise _count_failure(
            db=db, username=username, throttle=throttle, clock=clock, error=_invalid_credentials()
        )
    if not passwords.verify_password(user.password_hash, password):
        raise _count_failure(
            db=db, username=username, throttle=throttle, clock=clock, error=_invalid_credentials()
        )
    if user.totp_enabled:
        if not totp_code:
            raise Unauthorized(Message("A two-factor code is required."), code="totp_required")
        if not check_code(user=user, code=totp_code, clock=clock):
            error = Unauthorized(Message("The two-factor code is not valid."), code="totp_invalid")
            raise _count_failure(db=db, username=username, throttle=throttle, clock=clock, error=error)
    if not user.is_active:
        raise Unauthorized(Message("This account is disabled."), code="account_disabled")
    if throttle is not None:
        db.delete(throttle)
    if passwords.needs_rehash(user.password_hash):
        user.password_hash = passwords.hash_password(password)
    return user


def login(
    *,
    db: Session,
    username: str,
    password: str,
    totp_code: str | None,
    clock: Clock,
    request_id: str | None = None,
    session_name: str = "console",
) -> tuple[User, str]:
    """Check the password (and the TOTP code when the user has two-factor on) and open a session.

    Returns the user and the session secret. Failures: 401 ``invalid_credentials`` (unknown name or
    wrong password, told apart by nothing), ``totp_required``, ``totp_invalid``, ``account_disabled``;
    429 ``login_locked`` after MAX_FAILURES consecutive failures of one name (exponential backoff).
    A failure is flushed before raising, so callers commit even when this raises.

    If two-factor is required for the user's role by the plan but the user has not enrolled, the
    session is limited to enrolment (``Principal.totp_enrolment_only``)."""
    name = normalize_username(username)[:64]
    user = _check_credentials(db=db, username=name, password=password, totp_code=totp_code, clock=clock)
    now = clock.now()
    enrolment_only = not user.totp_enabled and user.role.value in _two_factor_roles(db)
    user.last_login_at = now
    token, secret = credentials.issue(
        db=db,
        user=user,
        name=session_name[:120].strip() or "console",
        kind=TokenKind.session,
        scopes=[],
        now=now,
        expires_at=now + tokens.SESSION_IDLE_TIMEOUT,
        totp_enrolment_only=enrolment_only,
    )
    actor = Actor(type="user", name=user.username, id=user.id, request_id=request_id)
    record(
        db=db,
        actor=actor,
        action="user.login",
        target_type="user",
        target_id=user.id,
        after={"session_id": token.id, "totp_enrolment_only": enrolment_only},
        clock=clock,
    )
    return user, secret


def logout(*, db: Session, principal: Principal, clock: Clock) -> None:
    """End the session the principal authenticated with (an API token is left alone)."""
    if not principal.is_session or principal.token_id is None:
        return
    token = db.get(ApiToken, principal.token_id)
    if token is None or token.revoked_at is not None:
        return
    token.revoked_at = clock.now()
    db.flush()
    record(
        db=db,
        actor=principal.actor,
        action="user.logout",
        target_type="user",
        target_id=principal.user.id,
        after={"session_id": token.id},
        clock=clock,
    )


def unlock_login(*, db: Session, username: str, actor: Actor, clock: Clock) -> bool:
    """Forget the failed logins of ``username``; whether it was locked or had failures."""
    throttle = db.get(LoginThrottle, normalize_username(username))
    if throttle is None:
        return False
    before = {"failures": throttle.failures}
    db.delete(throttle)
    db.flush()
    record(
        db=db,
        actor=actor,
        action="login.unlock",
        target_type="login",
        target_id=throttle.username,
        before=before,
        clock=clock,
    )
    return True


def find_token(*, db: Session, secret: str) -> ApiToken | None:
    """The token whose secret this is (revoked or expired ones too), or None."""
    prefix = tokens.prefix_of(secret)
    if prefix is None:
        return None
    candidates = db.scalars(select(ApiToken).where(ApiToken.prefix == prefix))
    return next((token for token in candidates if tokens.hash_matches(token.token_hash, secret)), None)


def authenticate_token(
    *, db: Session, secret: str, clock: Clock, request_id: str | None, uses: TokenUses | None = None
) -> Principal:
    """The Principal a bearer secret stands for; 401 ``invalid_token`` if it is unknown or revoked
    or its user is disabled, ``token_expired`` once expired.

    Only reads. The use is noted in ``uses`` (at most once per ``TOUCH_INTERVAL`` per token), which
    writes the last-used stamp and a session's slid expiry off the request (auth/usage.py); its
    noted uses count here already. Without ``uses`` nothing is recorded."""
    now = clock.now()
    token = find_token(db=db, secret=secret)
    user = None if token is None or token.revoked_at is not None else db.get(User, token.user_id)
    if token is None or user is None or not user.is_active:
        raise Unauthorized(Message("The token is not valid."), code="invalid_token")
    latest = uses.latest(token.id) if uses is not None else None
    expires_at = usage.effective_expiry(token, latest)
    if expires_at is not None and expires_at <= now:
        raise Unauthorized(Message("The token has expired."), code="token_expired")
    if uses is not None:
        use = usage.due_use(token, now, latest)
        if use is not None:
            uses.note(use)
    is_session = token.kind == TokenKind.session
    actor_name = user.username if is_session else f"{user.username}/{token.name}"[:120]
    return Principal(
        user=user,
        role=tokens.effective_role(user.role, token.kind, token.scopes),
        actor=Actor(
            type="user" if is_session else "token", name=actor_name, id=user.id, request_id=request_id
        ),
        language=user.language,
        token_id=token.id,
        token_kind=token.kind,
        scopes=tuple(token.scopes),
        totp_enrolment_only=token.totp_enrolment_only,
    )
