"""Integrations: an alert sender bound to one event, with its own token (shown once, hashed at rest).

Tokens are 32 hex digits so that PagerDuty-style senders, which expect a 32-character
``routing_key``, accept them as-is."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Sequence
from typing import TypeGuard

from sqlalchemy import select
from sqlalchemy.orm import Session

from eventguard.alerts.models import Integration
from eventguard.audit import service as audit
from eventguard.audit.service import Actor
from eventguard.clock import Clock
from eventguard.errors import InvalidInput, NotFound, Unauthorized
from eventguard.events.models import Event
from eventguard.i18n import Message
from eventguard.plugins import alert_formats

TOKEN_LENGTH = 32
PREFIX_LENGTH = 8
_TOKEN = re.compile(f"[0-9a-f]{{{TOKEN_LENGTH}}}")


def _hash(token: str) -> str:
    # 128 random bits: a fast hash is enough, and keeps intake fast (see auth.tokens.hash_secret).
    return hashlib.sha256(token.encode("ascii")).hexdigest()


def public_view(integration: Integration) -> dict[str, object]:
    return {
        "id": integration.id,
        "event_id": integration.event_id,
        "name": integration.name,
        "kind": integration.kind,
        "token_prefix": integration.token_prefix,
        "signed": integration.hmac_secret is not None,
        "created_at": integration.created_at.isoformat(),
        "revoked": integration.revoked_at is not None,
    }


def create(
    *,
    db: Session,
    event: Event,
    name: str,
    kind: str,
    actor: Actor,
    clock: Clock,
    hmac_secret: str | None = None,
) -> tuple[Integration, str]:
    """A new integration and its token (returned once; only its hash is kept)."""
    if kind not in alert_formats():
        raise InvalidInput(
            Message("Unknown integration kind {kind}.", {"kind": kind}),
            code="unknown_kind",
            details={"allowed": sorted(alert_formats())},
        )
    if not name.strip():
        raise InvalidInput(Message("An integration needs a name."), code="name_required")
    token = secrets.token_hex(TOKEN_LENGTH // 2)
    integration = audit.added(
        Integration(
            event_id=event.id,
            name=name.strip(),
            kind=kind,
            token_prefix=token[:PREFIX_LENGTH],
            token_hash=_hash(token),
            hmac_secret=hmac_secret or None,
            created_at=clock.now(),
            created_by=actor.name,
        ),
        db=db,
        actor=actor,
        action="integration.create",
        target_type="integration",
        clock=clock,
        view=public_view,
    )
    return integration, token


def token_shaped(token: str | None) -> TypeGuard[str]:
    """Whether ``token`` can be an integration token at all (32 lower-case hex digits). Anything else
    is refused without a lookup: a NUL in it made PostgreSQL fail the query (a 500), a non-ASCII
    character the hash."""
    return token is not None and _TOKEN.fullmatch(token) is not None


def authenticate(*, db: Session, token: str | None) -> Integration:
    """The live integration the token belongs to; 401 otherwise (without saying which part failed)."""
    if not token_shaped(token):
        raise Unauthorized(
            Message("A valid integration token is required."), code="invalid_integration_token"
        )
    candidates = db.scalars(select(Integration).where(Integration.token_prefix == token[:PREFIX_LENGTH]))
    digest = _hash(token)
    for integration in candidates:
        if hmac.compare_digest(integration.token_hash, digest) and integration.revoked_at is None:
            return integration
    raise Unauthorized(Message("A valid integration token is required."), code="invalid_integration_token")


def list_for_event(*, db: Session, event_id: int) -> Sequence[Integration]:
    query = select(Integration).where(Integration.event_id == event_id).order_by(Integration.id)
    return db.scalars(query).all()


def revoke(*, db: Session, integration_id: int, actor: Actor, clock: Clock) -> Integration:
    integration = db.get(Integration, integration_id)
    if integration is None:
        raise NotFound(Message("No integration {id}.", {"id": integration_id}), code="integration_not_found")
    if integration.revoked_at is None:
        with audit.audited(
            integration,
            db=db,
            actor=actor,
            action="integration.revoke",
            target_type="integration",
            clock=clock,
            view=lambda row: {"revoked": row.revoked_at is not None},
        ):
            integration.revoked_at = clock.now()
    return integration
