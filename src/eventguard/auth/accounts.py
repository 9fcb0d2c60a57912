"""Users: creating, reading, changing, and their passwords. Reached through ``auth.service``."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from eventguard.audit.service import Actor, record
from eventguard.auth import passwords
from eventguard.auth.models import ApiToken, LoginThrottle, Role, TokenKind, User
from eventguard.clock import Clock
from eventguard.errors import Conflict, InvalidInput, NotFound, Unauthorized
from eventguard.i18n import LANGUAGES, Message

_USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9._@-]{1,63}$")
_EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def user_view(user: User) -> dict[str, Any]:
    """What the audit log keeps of a user: never the password hash or the TOTP secret."""
    return {
        "username": user.username,
        "display_name": user.display_name,
        "email": user.email,
        "role": user.role.value,
        "language": user.language,
        "is_active": user.is_active,
        "totp_enabled": user.totp_enabled,
    }


def normalize_username(username: str) -> str:
    return username.strip().lower()


def _check_username(username: str) -> None:
    if not _USERNAME_RE.match(username):
        raise InvalidInput(
            Message(
                "A username has 2 to 64 characters: lower-case letters, digits and . _ @ -, "
                "starting with a letter or digit."
            ),
            code="invalid_username",
            details={"username": username},
        )


def _clean_email(email: str | None) -> str | None:
    if email is None or not email.strip():
        return None
    email = email.strip()
    if len(email) > 254 or not _EMAIL_RE.match(email):
        raise InvalidInput(Message("The e-mail address is not valid."), code="invalid_email")
    return email


def _clean_display_name(display_name: str) -> str:
    cleaned = " ".join(display_name.split())
    if not cleaned or len(cleaned) > 120:
        raise InvalidInput(Message("A display name has 1 to 120 characters."), code="invalid_display_name")
    return cleaned


def _check_language(language: str) -> None:
    if language not in LANGUAGES:
        raise InvalidInput(
            Message("Unsupported language: {language}.", {"language": language}),
            code="unsupported_language",
            details={"allowed": list(LANGUAGES)},
        )


def create_user(
    *,
    db: Session,
    username: str,
    password: str,
    role: Role,
    actor: Actor,
    clock: Clock,
    display_name: str | None = None,
    email: str | None = None,
    language: str = "zh-CN",
) -> User:
    """A new active user (flushed, audited). Conflict ``username_taken`` if the name is in use."""
    username = normalize_username(username)
    _check_username(username)
    _check_language(language)
    passwords.check_policy(password, username=username)
    if get_user_by_username(db=db, username=username) is not None:
        raise _username_taken(username)
    user = User(
        username=username,
        display_name=_clean_display_name(display_name or username),
        email=_clean_email(email),
        password_hash=passwords.hash_password(password),
        role=Role(role),
        language=language,
        totp_enabled=False,
        is_active=True,
        created_at=clock.now(),
    )
    try:
        with db.begin_nested():  # two concurrent creations of one name: the loser gets a Conflict
            db.add(user)
    except IntegrityError as exc:
        raise _username_taken(username) from exc
    record(
        db=db,
        actor=actor,
        action="user.create",
        target_type="user",
        target_id=user.id,
        after=user_view(user),
        clock=clock,
    )
    return user


def _username_taken(username: str) -> Conflict:
    return Conflict(
        Message("The username {username} is already taken.", {"username": username}),
        code="username_taken",
        details={"username": username},
    )


def get_user(*, db: Session, user_id: int) -> User:
    """The user with ``user_id``; NotFound ``user_not_found`` otherwise."""
    user = db.get(User, user_id)
    if user is None:
        raise NotFound(Message("No such user."), code="user_not_found", details={"user_id": user_id})
    return user


def get_user_by_username(*, db: Session, username: str) -> User | None:
    """The user named ``username`` (case-insensitive), or None."""
    return db.scalar(select(User).where(User.username == normalize_username(username)))


def list_users(*, db: Session, include_inactive: bool = True) -> Sequence[User]:
    """Users by username."""
    query = select(User).order_by(User.username)
    if not include_inactive:
        query = query.where(User.is_active.is_(True))
    return db.scalars(query).all()


def update_user(
    *,
    db: Session,
    user: User,
    actor: Actor,
    clock: Clock,
    role: Role | None = None,
    is_active: bool | None = None,
    display_name: str | None = None,
    language: str | None = None,
    email: str | None = None,
) -> User:
    """Change the given fields (None leaves a field as it is; ``email=""`` clears it).

    The last active admin can be neither demoted nor deactivated (Conflict ``last_admin``)."""
    before = user_view(user)
    if language is not None:
        _check_language(language)
    if (role is not None and role != Role.admin) or is_active is False:
        _keep_an_admin(db=db, user=user)
    if role is not None:
        user.role = Role(role)
    if is_active is not None:
        user.is_active = is_active
    if display_name is not None:
        user.display_name = _clean_display_name(display_name)
    if language is not None:
        user.language = language
    if email is not None:
        user.email = _clean_email(email)
    after = user_view(user)
    if after != before:
        user.updated_at = clock.now()
        db.flush()
        record(
            db=db,
            actor=actor,
            action="user.update",
            target_type="user",
            target_id=user.id,
            before=before,
            after=after,
            clock=clock,
        )
    return user


def _keep_an_admin(*, db: Session, user: User) -> None:
    if user.role != Role.admin or not user.is_active:
        return
    admins = db.scalar(
        select(func.count()).select_from(User).where(User.role == Role.admin, User.is_active.is_(True))
    )
    if (admins or 0) <= 1:
        raise Conflict(Message("The last active admin cannot be demoted or deactivated."), code="last_admin")


def set_password(
    *, db: Session, user: User, password: str, actor: Actor, clock: Clock, keep_token_id: int | None = None
) -> User:
    """Set a new password without the old one (admins, the CLI). Ends the user's console sessions
    (all but ``keep_token_id``) and lifts a login lock-out."""
    passwords.check_policy(password, username=user.username)
    user.password_hash = passwords.hash_password(password)
    user.updated_at = clock.now()
    _end_sessions(db=db, user=user, now=clock.now(), keep_token_id=keep_token_id)
    db.execute(delete(LoginThrottle).where(LoginThrottle.username == user.username))
    db.flush()
    # The hash is never logged; that the password changed, and by whom, is.
    record(
        db=db,
        actor=actor,
        action="user.set_password",
        target_type="user",
        target_id=user.id,
        after={"password": "changed"},
        clock=clock,
    )
    return user


def change_password(
    *,
    db: Session,
    user: User,
    old_password: str,
    new_password: str,
    actor: Actor,
    clock: Clock,
    keep_token_id: int | None = None,
) -> User:
    """A user changing their own password: the old one is required (Unauthorized ``wrong_password``)."""
    if not passwords.verify_password(user.password_hash, old_password):
        raise Unauthorized(Message("The current password is wrong."), code="wrong_password")
    if old_password == new_password:
        raise InvalidInput(
            Message("The new password must differ from the current one."), code="password_unchanged"
        )
    return set_password(
        db=db, user=user, password=new_password, actor=actor, clock=clock, keep_token_id=keep_token_id
    )


def _end_sessions(*, db: Session, user: User, now: datetime, keep_token_id: int | None) -> None:
    query = (
        update(ApiToken)
        .where(ApiToken.user_id == user.id, ApiToken.kind == TokenKind.session.value)
        .where(ApiToken.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    if keep_token_id is not None:
        query = query.where(ApiToken.id != keep_token_id)
    db.execute(query.execution_options(synchronize_session="fetch"))
