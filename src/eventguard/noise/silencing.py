"""Silences (API, CLI, console, chat): created with Alertmanager's matchers, listed, expired,
each change audited. ``noise.service.rules_for`` matches the ones in force against alerts.

Keyword-only functions taking the session; they flush at most, the caller commits."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from eventguard.audit import service as audit
from eventguard.audit.service import Actor
from eventguard.clock import Clock
from eventguard.errors import Conflict, InvalidInput, NotFound
from eventguard.i18n import Message
from eventguard.noise.matchers import Matcher, MatcherError, build_all, check_set
from eventguard.noise.models import Silence

MAX_SILENCE = timedelta(days=366)


def checked_matchers(items: Sequence[dict[str, str]]) -> list[Matcher]:
    try:
        found = build_all(items)
        check_set(found)
    except (MatcherError, KeyError) as exc:
        raise InvalidInput(
            Message("Bad matchers: {problem}.", {"problem": str(exc)}), code="invalid_matchers"
        ) from None
    return found


def describe(silence: Silence) -> str:
    shown = ", ".join(str(m) for m in build_all(silence.matchers))
    return f"silence #{silence.id} by {silence.created_by} ({shown}): {silence.comment}"


def create_silence(
    *,
    db: Session,
    event_id: int,
    matchers: Sequence[dict[str, str]],
    starts_at: datetime | None,
    ends_at: datetime,
    comment: str,
    actor: Actor,
    source: str,
    clock: Clock,
) -> Silence:
    built = checked_matchers(matchers)
    now = clock.now()
    start = starts_at or now
    if ends_at <= start:
        raise InvalidInput(Message("A silence must end after it starts."), code="silence_ends_before_start")
    if ends_at - start > MAX_SILENCE:
        raise InvalidInput(Message("A silence lasts at most a year."), code="silence_too_long")
    if ends_at <= now:
        raise InvalidInput(Message("A silence must end in the future."), code="silence_in_the_past")
    silence = Silence(
        event_id=event_id,
        matchers=[m.as_dict() for m in built],
        starts_at=start,
        ends_at=ends_at,
        comment=comment,
        created_by=actor.name,
        created_at=now,
        source=source,
    )
    db.add(silence)
    db.flush()
    audit.record(
        db=db,
        actor=actor,
        action="silence.create",
        target_type="silence",
        target_id=silence.id,
        after=silence_view(silence, now),
        clock=clock,
    )
    return silence


def get_silence(*, db: Session, event_id: int, silence_id: int) -> Silence:
    silence = db.get(Silence, silence_id)
    if silence is None or silence.event_id != event_id:
        raise NotFound(Message("No silence {id}.", {"id": silence_id}), code="silence_not_found")
    return silence


def silence_state(silence: Silence, at: datetime) -> str:
    """Alertmanager's states: pending (not started), active, expired."""
    if silence.expired_at is not None or silence.ends_at <= at:
        return "expired"
    return "pending" if silence.starts_at > at else "active"


def silence_view(silence: Silence, at: datetime) -> dict[str, Any]:
    return {
        "id": silence.id,
        "event_id": silence.event_id,
        "matchers": list(silence.matchers),
        "starts_at": silence.starts_at.isoformat(),
        "ends_at": silence.ends_at.isoformat(),
        "comment": silence.comment,
        "created_by": silence.created_by,
        "created_at": silence.created_at.isoformat(),
        "source": silence.source,
        "state": silence_state(silence, at),
        "expired_at": silence.expired_at.isoformat() if silence.expired_at else None,
        "expired_by": silence.expired_by,
    }


def list_silences(
    *, db: Session, event_id: int, include_expired: bool = False, at: datetime
) -> list[Silence]:
    query = select(Silence).where(Silence.event_id == event_id)
    if not include_expired:
        query = query.where(Silence.expired_at.is_(None), Silence.ends_at > at)
    return list(db.scalars(query.order_by(Silence.ends_at, Silence.id)))


def expire_silence(*, db: Session, event_id: int, silence_id: int, actor: Actor, clock: Clock) -> Silence:
    silence = get_silence(db=db, event_id=event_id, silence_id=silence_id)
    now = clock.now()
    if silence_state(silence, now) == "expired":
        raise Conflict(
            Message("Silence {id} has already expired.", {"id": silence_id}), code="silence_expired"
        )
    before = silence_view(silence, now)
    silence.expired_at, silence.expired_by = now, actor.name
    if silence.starts_at > now:
        silence.starts_at = now
    silence.ends_at = now
    audit.record(
        db=db,
        actor=actor,
        action="silence.expire",
        target_type="silence",
        target_id=silence.id,
        before=before,
        after=silence_view(silence, now),
        clock=clock,
    )
    return silence
