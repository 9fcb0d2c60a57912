"""The readiness gate: the checklist (``checks``), the go/no-go decision and the state of the gate.
Keyword-only functions that take the session; they flush, callers commit."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from eventguard.audit.service import Actor, record
from eventguard.clock import Clock
from eventguard.errors import Conflict, InvalidInput
from eventguard.i18n import Message
from eventguard.plans.schemas import PlanSpec
from eventguard.readiness.checks import Item, checklist
from eventguard.readiness.models import GoDecision


@dataclass
class Report:
    items: list[Item]
    decision: GoDecision | None

    @property
    def ready(self) -> bool:
        return all(item.ok for item in self.items)

    @property
    def failing(self) -> list[Item]:
        return [item for item in self.items if not item.ok]

    def render(self, lang: str) -> dict[str, Any]:
        decision = self.decision
        return {
            "ready": self.ready,
            "failing": [item.key for item in self.failing],
            "items": [item.render(lang) for item in self.items],
            "decision": None if decision is None else decision_dict(decision),
        }


def decision_dict(row: GoDecision) -> dict[str, Any]:
    return {
        "id": row.id,
        "decision": row.decision,
        "decided_by": row.decided_by,
        "decided_at": row.decided_at.isoformat(),
        "note": row.note,
        "waived": row.waived,
    }


def latest_decision(*, db: Session, event_id: int) -> GoDecision | None:
    query = select(GoDecision).where(GoDecision.event_id == event_id).order_by(GoDecision.id.desc())
    return db.scalars(query.limit(1)).first()


def decisions(*, db: Session, event_id: int) -> list[GoDecision]:
    query = select(GoDecision).where(GoDecision.event_id == event_id).order_by(GoDecision.id.desc())
    return list(db.scalars(query))


def report(*, db: Session, event_id: int, spec: PlanSpec, now: datetime) -> Report:
    return Report(
        checklist(db=db, event_id=event_id, spec=spec, now=now), latest_decision(db=db, event_id=event_id)
    )


def decide(
    *,
    db: Session,
    event_id: int,
    spec: PlanSpec,
    decision: Literal["go", "no_go"],
    waive: dict[str, str],
    note: str | None,
    actor: Actor,
    clock: Clock,
) -> GoDecision:
    """Record a go or no-go decision with the checklist as it is now. A go needs every failing item
    waived with a reason (409 ``not_ready`` naming the rest); items that are not waivable (legal
    sign-offs) cannot be waived (422)."""
    now = clock.now()
    found = checklist(db=db, event_id=event_id, spec=spec, now=now)
    by_key = {item.key: item for item in found}
    for key, reason in waive.items():
        if key not in by_key:
            raise InvalidInput(Message("No readiness item {key}.", {"key": key}), code="unknown_item")
        if not reason.strip():
            raise InvalidInput(Message("Waiving {key} needs a reason.", {"key": key}), code="waiver_reason")
        if not by_key[key].waivable:
            raise InvalidInput(Message("{key} cannot be waived.", {"key": key}), code="not_waivable")
    if decision == "go":
        open_items = [item.key for item in found if not item.ok and item.key not in waive]
        if open_items:
            raise Conflict(
                Message("Not ready: {items}", {"items": ", ".join(open_items)}),
                code="not_ready",
                details={"failing": open_items},
            )
    row = GoDecision(
        event_id=event_id,
        decision=decision,
        decided_by=actor.name,
        decided_at=now,
        note=note,
        waived=[{"key": key, "reason": reason} for key, reason in waive.items() if not by_key[key].ok],
        checklist=[item.render("en") for item in found],
    )
    db.add(row)
    db.flush()
    record(
        db=db,
        actor=actor,
        action=f"readiness.{decision}",
        target_type="event",
        target_id=event_id,
        after={"waived": row.waived, "note": note, "failing": [i.key for i in found if not i.ok]},
        clock=clock,
    )
    return row
