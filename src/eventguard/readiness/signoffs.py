"""Legal sign-offs: a member of the legal team signs an item (or revokes the sign-off)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from eventguard.audit.service import Actor, record
from eventguard.clock import Clock
from eventguard.errors import Forbidden, InvalidInput
from eventguard.i18n import Message
from eventguard.plans.schemas import PlanSpec
from eventguard.readiness.models import LegalSignoff


def current(*, db: Session, event_id: int) -> dict[str, LegalSignoff]:
    """Per legal item: its newest sign-off not revoked."""
    rows = db.scalars(
        select(LegalSignoff)
        .where(LegalSignoff.event_id == event_id, LegalSignoff.revoked_at.is_(None))
        .order_by(LegalSignoff.id)
    )
    return {row.item: row for row in rows}


def sign(
    *,
    db: Session,
    event_id: int,
    spec: PlanSpec,
    item: str,
    team: str | None,
    person_teams: set[str] | None,
    note: str | None,
    actor: Actor,
    clock: Clock,
) -> LegalSignoff:
    """Sign ``item`` for the legal ``team``. ``person_teams``: the teams the signer belongs to by the
    plan (None: not known, e.g. the command line, which is trusted); a signer outside the legal team
    is refused (403)."""
    if item not in {entry.id for entry in spec.readiness.legal_items}:
        raise InvalidInput(
            Message("The plan has no legal item {item}.", {"item": item}), code="unknown_legal_item"
        )
    if team is None:
        raise InvalidInput(Message("The plan names no legal team."), code="no_legal_team")
    if person_teams is not None and team not in person_teams:
        raise Forbidden(Message("Only a member of the legal team signs legal items."), code="not_legal_team")
    row = LegalSignoff(
        event_id=event_id, item=item, team=team, signed_by=actor.name, signed_at=clock.now(), note=note
    )
    db.add(row)
    db.flush()
    record(
        db=db,
        actor=actor,
        action="readiness.legal_signoff",
        target_type="event",
        target_id=event_id,
        after={"item": item, "team": team, "note": note},
        clock=clock,
    )
    return row


def revoke(*, db: Session, event_id: int, item: str, actor: Actor, clock: Clock) -> None:
    found = current(db=db, event_id=event_id).get(item)
    if found is not None:
        found.revoked_at = clock.now()
        record(
            db=db,
            actor=actor,
            action="readiness.legal_revoke",
            target_type="event",
            target_id=event_id,
            after={"item": item},
            clock=clock,
        )
        db.flush()
