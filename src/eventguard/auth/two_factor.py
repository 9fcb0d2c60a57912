"""TOTP two-factor enrolment, confirmation and removal for a user. Reached through ``auth.service``."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import update
from sqlalchemy.orm import Session

from eventguard.audit.service import Actor, audited
from eventguard.auth import totp
from eventguard.auth.models import ApiToken, User
from eventguard.clock import Clock
from eventguard.errors import Conflict, Unauthorized
from eventguard.i18n import Message


@dataclass(frozen=True)
class TotpEnrolment:
    """What an authenticator app needs: the base32 secret and the ``otpauth://`` URI."""

    secret: str
    uri: str


def _state(user: User) -> dict[str, bool]:
    return {"totp_enabled": user.totp_enabled, "totp_pending": user.totp_secret is not None}


def check_code(*, user: User, code: str, clock: Clock) -> bool:
    """Whether ``code`` is a fresh valid code of the user's secret; remembers its time step, so the
    same code (or an older one) is refused from now on."""
    if user.totp_secret is None:
        return False
    step = totp.accepted_step(user.totp_secret, code, at=clock.now(), last_step=user.totp_last_counter)
    if step is None:
        return False
    user.totp_last_counter = step
    return True


def _invalid_code() -> Unauthorized:
    return Unauthorized(Message("The two-factor code is not valid."), code="totp_invalid")


def totp_begin_enrolment(*, db: Session, user: User, actor: Actor, clock: Clock) -> TotpEnrolment:
    """A new secret stored on the user, not in force until ``totp_confirm`` sees a valid code.

    Beginning again replaces a pending secret; Conflict ``totp_already_enabled`` once enabled."""
    if user.totp_enabled:
        raise Conflict(Message("Two-factor authentication is already enabled."), code="totp_already_enabled")
    with audited(
        user, db=db, actor=actor, action="user.totp_enrol", target_type="user", clock=clock, view=_state
    ):
        user.totp_secret = totp.new_secret()
        user.totp_last_counter = None
        user.updated_at = clock.now()
    return TotpEnrolment(
        secret=user.totp_secret, uri=totp.provisioning_uri(user.totp_secret, account=user.username)
    )


def pending_uri(*, user: User) -> str:
    """The provisioning URI of an enrolment in progress (Conflict ``totp_not_pending`` otherwise).

    Once enabled the secret is never shown again, so a stolen session cannot copy the second factor."""
    if user.totp_enabled or user.totp_secret is None:
        raise Conflict(Message("No two-factor enrolment is in progress."), code="totp_not_pending")
    return totp.provisioning_uri(user.totp_secret, account=user.username)


def totp_qr_png(*, user: User) -> bytes:
    """The pending enrolment's provisioning URI as a PNG QR code."""
    return totp.qr_png(pending_uri(user=user))


def totp_confirm(
    *, db: Session, user: User, code: str, actor: Actor, clock: Clock, session_token_id: int | None = None
) -> User:
    """Turn two-factor on once ``code`` proves the authenticator holds the pending secret.

    ``session_token_id``: the session doing this; if it was limited to enrolment, it no longer is."""
    pending_uri(user=user)
    with audited(
        user, db=db, actor=actor, action="user.totp_enable", target_type="user", clock=clock, view=_state
    ):
        if not check_code(user=user, code=code, clock=clock):
            raise _invalid_code()
        user.totp_enabled = True
        user.updated_at = clock.now()
        if session_token_id is not None:
            db.execute(
                update(ApiToken)
                .where(ApiToken.id == session_token_id, ApiToken.user_id == user.id)
                .values(totp_enrolment_only=False)
                .execution_options(synchronize_session="fetch")
            )
    return user


def totp_disable(*, db: Session, user: User, code: str | None, actor: Actor, clock: Clock) -> User:
    """Turn two-factor off and forget the secret.

    The user themselves must give a valid ``code``; ``code=None`` is for an admin or the CLI acting
    on the user's behalf, which the caller has checked."""
    if not user.totp_enabled and user.totp_secret is None:
        raise Conflict(Message("Two-factor authentication is not enabled."), code="totp_not_enabled")
    # A pending (never confirmed) secret protects nothing, so cancelling it needs no code.
    if code is not None and user.totp_enabled and not check_code(user=user, code=code, clock=clock):
        raise _invalid_code()
    with audited(
        user, db=db, actor=actor, action="user.totp_disable", target_type="user", clock=clock, view=_state
    ):
        user.totp_enabled = False
        user.totp_secret = None
        user.totp_last_counter = None
        user.updated_at = clock.now()
    return user
