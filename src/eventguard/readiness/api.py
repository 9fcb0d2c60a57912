"""Readiness API: the checklist and the newest decision (viewer), go/no-go decisions (commander and
up), legal sign-offs (a member of the legal team; an admin for anyone) and their revocation
(commander)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from sqlalchemy.orm import Session

from eventguard.auth.deps import CurrentPrincipal, Principal, require_role
from eventguard.auth.models import Role
from eventguard.deps import ClockDep, DbSession, request_language
from eventguard.events import service as events
from eventguard.openapi import errors
from eventguard.plans import service as plans
from eventguard.plans.schemas import PlanSpec
from eventguard.readiness import checks, service, signoffs
from eventguard.readiness.schemas import (
    DecisionCreate,
    DecisionRead,
    ReadinessRead,
    SignoffCreate,
    SignoffRead,
)
from eventguard.risks.review import teams_of

router = APIRouter(tags=["readiness"], responses=errors(404))
Responder = Annotated[Principal, Depends(require_role(Role.responder))]
Commander = Annotated[Principal, Depends(require_role(Role.commander))]


def _plan(db: Session, slug: str) -> tuple[int, PlanSpec]:
    event = events.get_by_slug(db=db, slug=slug)
    return event.id, plans.get_active_plan(db=db, event_id=event.id)


def signer_teams(principal: Principal, spec: PlanSpec) -> set[str] | None:
    """The teams a signed-in person signs or reviews for; None (anyone) for an admin."""
    if principal.role == Role.admin:
        return None
    return teams_of(spec, principal.user.username, principal.user.email)


@router.get("/api/v1/events/{slug}/readiness", response_model=ReadinessRead)
def readiness(
    request: Request, slug: str, _viewer: CurrentPrincipal, db: DbSession, clock: ClockDep
) -> ReadinessRead:
    """The checklist generated from the plan, each item with why it fails and where to fix it, and the
    newest go/no-go decision."""
    event_id, spec = _plan(db, slug)
    found = service.report(db=db, event_id=event_id, spec=spec, now=clock.now())
    return ReadinessRead.model_validate(found.render(request_language(request)))


@router.get("/api/v1/events/{slug}/readiness/decisions", response_model=list[DecisionRead])
def list_decisions(slug: str, _viewer: CurrentPrincipal, db: DbSession) -> list[DecisionRead]:
    """Every go/no-go decision, newest first."""
    event_id, _spec = _plan(db, slug)
    return [
        DecisionRead.model_validate(service.decision_dict(row))
        for row in service.decisions(db=db, event_id=event_id)
    ]


@router.post(
    "/api/v1/events/{slug}/readiness/decisions",
    response_model=DecisionRead,
    status_code=201,
    responses=errors(409, 422),
)
def decide(
    slug: str, body: DecisionCreate, principal: Commander, db: DbSession, clock: ClockDep
) -> DecisionRead:
    """Record go or no-go (who, when, the checklist); a go needs every failing item waived with a reason."""
    event_id, spec = _plan(db, slug)
    row = service.decide(
        db=db,
        event_id=event_id,
        spec=spec,
        decision=body.decision,
        waive={w.key: w.reason for w in body.waive},
        note=body.note,
        actor=principal.actor,
        clock=clock,
    )
    db.commit()
    return DecisionRead.model_validate(service.decision_dict(row))


@router.post(
    "/api/v1/events/{slug}/readiness/legal/{item}/signoff",
    response_model=SignoffRead,
    status_code=201,
    responses=errors(422),
)
def sign(
    slug: str, item: str, body: SignoffCreate, principal: Responder, db: DbSession, clock: ClockDep
) -> SignoffRead:
    """Sign a legal item off for the legal team (its members; an admin for them)."""
    event_id, spec = _plan(db, slug)
    row = signoffs.sign(
        db=db,
        event_id=event_id,
        spec=spec,
        item=item,
        team=checks.legal_team(spec),
        person_teams=signer_teams(principal, spec),
        note=body.note,
        actor=principal.actor,
        clock=clock,
    )
    db.commit()
    return SignoffRead.model_validate(row, from_attributes=True)


@router.delete("/api/v1/events/{slug}/readiness/legal/{item}/signoff", status_code=204)
def revoke(slug: str, item: str, principal: Commander, db: DbSession, clock: ClockDep) -> None:
    """Withdraw the sign-off of a legal item (the item fails again)."""
    event_id, _spec = _plan(db, slug)
    signoffs.revoke(db=db, event_id=event_id, item=item, actor=principal.actor, clock=clock)
    db.commit()
