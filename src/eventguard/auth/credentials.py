"""Bearer tokens at rest: making, listing and revoking them. Reached through ``auth.service``."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from eventguard.audit.service import Actor, audited, record
from eventguard.auth import tokens
from eventguard.auth.models import ApiToken, Role, TokenKind, User
from eventguard.clock import Clock
from eventguard.errors import InvalidInput, NotFound
from eventguard.i18n import Message


def token_view(token: ApiToken) -> dict[str, Any]:
    """What the audit log keeps of a token: its identity and reach, never the secret or its hash."""
    return {
        "user_id": token.user_id,
        "name": token.name,
        "kind": token.kind,
        "prefix": token.prefix,
        "scopes": list(token.scopes),
        "expires_at": token.expires_at.isoformat() if token.expires_at else None,
        "revoked_at": token.revoked_at.isoformat() if token.revoked_at else None,
    }


def _clean_name(name: str) -> str:
    cleaned = " ".join(name.split())
    if not cleaned or len(cleaned) > 120:
        raise InvalidInput(Message("A token name has 1 to 120 characters."), code="invalid_token_name")
    return cleaned


def issue(
    *,
    db: Session,
    user: User,
    name: str,
    kind: TokenKind,
    scopes: Sequence[str],
    now: datetime,
    expires_at: datetime | None,
    totp_enrolment_only: bool = False,
) -> tuple[ApiToken, str]:
    """Store a new token (flushed, not audited: callers record what it was for)."""
    prefix, secret = tokens.generate_secret()
    token = ApiToken(
        user_id=user.id,
        name=_clean_name(name),
        kind=kind.value,
        prefix=prefix,
        token_hash=tokens.hash_secret(secret),
        scopes=list(scopes),
        totp_enrolment_only=totp_enrolment_only,
        created_at=now,
        expires_at=expires_at,
    )
    db.add(token)
    db.flush()
    return token, secret


def create_token(
    *,
    db: Session,
    user: User,
    name: str,
    scopes: Iterable[str],
    actor: Actor,
    clock: Clock,
    expires_at: datetime | None = None,
    kind: str = "api",
    grantor_role: Role | None = None,
) -> tuple[ApiToken, str]:
    """A new token for ``user`` and its secret, which is shown once and never stored.

    ``grantor_role`` is the effective role of whoever asks: a scope needing more is Forbidden
    (``scope_exceeds_role``). None (the CLI) grants any scope. The token's role is still capped by
    its owner's role at every use."""
    token_kind = TokenKind(kind)
    now = clock.now()
    parsed = [] if token_kind == TokenKind.session else tokens.parse_scopes(scopes)
    if grantor_role is not None:
        tokens.check_grantable(parsed, grantor_role)
    if token_kind == TokenKind.session and expires_at is None:
        expires_at = now + tokens.SESSION_IDLE_TIMEOUT
    if expires_at is not None and expires_at <= now:
        raise InvalidInput(Message("The expiry must be in the future."), code="expiry_in_past")
    token, secret = issue(
        db=db,
        user=user,
        name=name,
        kind=token_kind,
        scopes=[scope.value for scope in parsed],
        now=now,
        expires_at=expires_at,
    )
    record(
        db=db,
        actor=actor,
        action="token.create",
        target_type="token",
        target_id=token.id,
        after=token_view(token),
        clock=clock,
    )
    return token, secret


def get_token(*, db: Session, token_id: int) -> ApiToken:
    """The token with ``token_id``; NotFound ``token_not_found`` otherwise."""
    token = db.get(ApiToken, token_id)
    if token is None:
        raise NotFound(Message("No such token."), code="token_not_found", details={"token_id": token_id})
    return token


def list_tokens(
    *,
    db: Session,
    user: User | None = None,
    kind: str | None = "api",
    include_revoked: bool = False,
) -> Sequence[ApiToken]:
    """Tokens, newest first: of ``user`` (None: everyone's), of ``kind`` (None: both kinds)."""
    query = select(ApiToken).order_by(ApiToken.id.desc())
    if user is not None:
        query = query.where(ApiToken.user_id == user.id)
    if kind is not None:
        query = query.where(ApiToken.kind == TokenKind(kind).value)
    if not include_revoked:
        query = query.where(ApiToken.revoked_at.is_(None))
    return db.scalars(query).all()


def revoke_token(*, db: Session, token: ApiToken, actor: Actor, clock: Clock) -> ApiToken:
    """Revoke ``token`` from now on (flushed, audited). Revoking a revoked token changes nothing."""
    if token.revoked_at is not None:
        return token
    with audited(
        token, db=db, actor=actor, action="token.revoke", target_type="token", clock=clock, view=token_view
    ):
        token.revoked_at = clock.now()
    return token
