"""Risk register API: the register (filter, sort, CSV, heat map SVG), adding and editing risks
(responder and up), the quantitative proposals and their decisions (commander and up), expert review
rounds (opened by a commander, entries by responders)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from eventguard.auth.deps import CurrentPrincipal, Principal, require_role
from eventguard.auth.models import Role
from eventguard.deps import ClockDep, DbSession, request_language
from eventguard.events import service as events
from eventguard.inputs import Id
from eventguard.openapi import errors
from eventguard.plans import service as plans
from eventguard.plans.schemas import PlanSpec
from eventguard.risks import assessment, heatmap, review, service
from eventguard.risks.models import ReviewRound, RiskAssessment, RiskEntry
from eventguard.risks.schemas import (
    AssessmentDecision,
    AssessmentRead,
    ProposalRead,
    ReviewEntryCreate,
    ReviewEntryRead,
    RiskChangeRead,
    RiskCreate,
    RiskDetail,
    RiskRead,
    RiskStatus,
    RiskUpdate,
    RoundCreate,
    RoundRead,
)

router = APIRouter(tags=["risks"], responses=errors(404))
Responder = Annotated[Principal, Depends(require_role(Role.responder))]
Commander = Annotated[Principal, Depends(require_role(Role.commander))]
Sort = Literal["score", "likelihood", "impact", "category", "status", "key", "owner_team", "updated_at"]
Score = Annotated[int, Query(ge=1, le=5)]


def _plan(db: Session, slug: str) -> tuple[int, PlanSpec]:
    event = events.get_by_slug(db=db, slug=slug)
    return event.id, plans.get_active_plan(db=db, event_id=event.id)


def risk_read(db: Session, entry: RiskEntry) -> RiskRead:
    drilled = service.last_drilled(db=db, event_id=entry.event_id, scenario_id=service.drill_scenario(entry))
    return RiskRead(
        key=entry.key,
        source=entry.source,
        in_plan=entry.in_plan,
        category=entry.category,
        title=entry.title,
        description=entry.description,
        likelihood=entry.likelihood,
        impact=entry.impact,
        score=entry.score,
        owner_team=entry.owner_team,
        mitigation=entry.mitigation,
        scenario_id=entry.scenario_id,
        backup_id=entry.backup_id,
        drill_scenario_id=entry.drill_scenario_id,
        last_drilled=drilled,
        status=entry.status,
        evidence=entry.evidence,
        created_at=entry.created_at,
        updated_at=entry.updated_at,
    )


def risk_detail(db: Session, entry: RiskEntry) -> RiskDetail:
    changes = [
        RiskChangeRead.model_validate(row, from_attributes=True)
        for row in service.history(db=db, risk_id=entry.id)
    ]
    return RiskDetail(**risk_read(db, entry).model_dump(), history=changes)


def _filtered(
    db: Session,
    event_id: int,
    status: RiskStatus | None,
    category: str | None,
    owner: str | None,
    min_score: int | None,
    likelihood: int | None,
    impact: int | None,
    sort: str,
    order: str,
) -> list[RiskEntry]:
    return service.list_risks(
        db=db,
        event_id=event_id,
        status=status,
        category=category,
        owner=owner,
        min_score=min_score,
        likelihood=likelihood,
        impact=impact,
        sort=sort,
        descending=order == "desc",
    )


@router.get("/api/v1/events/{slug}/risks", response_model=list[RiskRead], responses=errors(422))
def list_risks(
    slug: str,
    _viewer: CurrentPrincipal,
    db: DbSession,
    status: RiskStatus | None = None,
    category: Annotated[str | None, Query(max_length=64)] = None,
    owner: Annotated[str | None, Query(max_length=64, description="Owner team.")] = None,
    min_score: Annotated[int | None, Query(ge=1, le=25)] = None,
    likelihood: Score | None = None,
    impact: Score | None = None,
    sort: Sort = "score",
    order: Literal["asc", "desc"] = "desc",
) -> list[RiskRead]:
    """The register, filtered and sorted (default: highest score first), with when each was drilled."""
    event_id, _spec = _plan(db, slug)
    rows = _filtered(db, event_id, status, category, owner, min_score, likelihood, impact, sort, order)
    return [risk_read(db, row) for row in rows]


@router.get(
    "/api/v1/events/{slug}/risks/export.csv",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}}, **errors(422)},
)
def export_csv(
    request: Request,
    slug: str,
    _viewer: CurrentPrincipal,
    db: DbSession,
    status: RiskStatus | None = None,
    category: Annotated[str | None, Query(max_length=64)] = None,
    owner: Annotated[str | None, Query(max_length=64)] = None,
    min_score: Annotated[int | None, Query(ge=1, le=25)] = None,
    sort: Sort = "score",
    order: Literal["asc", "desc"] = "desc",
) -> Response:
    """The register (same filters) as CSV in UTF-8 with a BOM; headings in the request's language."""
    event_id, _spec = _plan(db, slug)
    rows = _filtered(db, event_id, status, category, owner, min_score, None, None, sort, order)
    body = service.to_csv(db=db, rows=rows, lang=request_language(request))
    headers = {"Content-Disposition": f'attachment; filename="{slug}-risks.csv"'}
    return Response(body, media_type="text/csv; charset=utf-8", headers=headers)


@router.get(
    "/api/v1/events/{slug}/risks/heatmap.svg",
    response_class=Response,
    responses={200: {"content": {"image/svg+xml": {}}}},
)
def heat_map(request: Request, slug: str, _viewer: CurrentPrincipal, db: DbSession) -> Response:
    """The 5 × 5 heat map of the risks not closed, as SVG in the request's language."""
    event_id, _spec = _plan(db, slug)
    rows = [row for row in service.list_risks(db=db, event_id=event_id) if row.status != "closed"]
    svg = heatmap.render_svg(rows, lang=request_language(request), link=f"/events/{slug}/risks")
    return Response(svg, media_type="image/svg+xml")


@router.post(
    "/api/v1/events/{slug}/risks", response_model=RiskDetail, status_code=201, responses=errors(409, 422)
)
def create_risk(
    slug: str, body: RiskCreate, principal: Responder, db: DbSession, clock: ClockDep
) -> RiskDetail:
    """Add a risk by hand (audited, with its first history entry); the plan never changes it."""
    event_id, spec = _plan(db, slug)
    entry = service.create_risk(
        db=db, event_id=event_id, spec=spec, data=body, actor=principal.actor, clock=clock
    )
    db.commit()
    return risk_detail(db, entry)


@router.get("/api/v1/events/{slug}/risks/{key}", response_model=RiskDetail)
def get_risk(slug: str, key: str, _viewer: CurrentPrincipal, db: DbSession) -> RiskDetail:
    """One risk with its whole history."""
    event_id, _spec = _plan(db, slug)
    return risk_detail(db, service.get_risk(db=db, event_id=event_id, key=key))


@router.patch("/api/v1/events/{slug}/risks/{key}", response_model=RiskDetail, responses=errors(422))
def update_risk(
    slug: str, key: str, body: RiskUpdate, principal: Responder, db: DbSession, clock: ClockDep
) -> RiskDetail:
    """Change some fields (status, scores, mitigation …) with a reason; kept in the history and audited."""
    event_id, spec = _plan(db, slug)
    entry = service.get_risk(db=db, event_id=event_id, key=key)
    service.update_risk(db=db, entry=entry, spec=spec, data=body, actor=principal.actor, clock=clock)
    db.commit()
    return risk_detail(db, entry)


@router.get("/api/v1/events/{slug}/risk-assessment", response_model=list[ProposalRead])
def list_proposals(
    slug: str, _viewer: CurrentPrincipal, db: DbSession, clock: ClockDep
) -> list[ProposalRead]:
    """For each scenario and category: frequency per event-hour, mean duration, MTTA and MTTR from
    past events' incidents and drills, proposed as likelihood and impact, with the evidence."""
    event_id, spec = _plan(db, slug)
    found = assessment.proposals(db=db, event_id=event_id, spec=spec, now=clock.now())
    return [ProposalRead(**vars(item)) for item in found]


def _assessment_read(db: Session, row: RiskAssessment) -> AssessmentRead:
    key = db.get_one(RiskEntry, row.risk_id).key
    return AssessmentRead(
        id=row.id,
        risk=key,
        subject=row.subject,
        proposed_likelihood=row.proposed_likelihood,
        proposed_impact=row.proposed_impact,
        likelihood=row.likelihood,
        impact=row.impact,
        decision=row.decision,
        reason=row.reason,
        metrics=row.metrics,
        evidence=row.evidence,
        decided_by=row.decided_by,
        decided_at=row.decided_at,
    )


@router.get("/api/v1/events/{slug}/risk-assessment/decisions", response_model=list[AssessmentRead])
def list_decisions(slug: str, _viewer: CurrentPrincipal, db: DbSession) -> list[AssessmentRead]:
    """Every accepted or overridden proposal, oldest first, proposed and decided values side by side."""
    event_id, _spec = _plan(db, slug)
    return [_assessment_read(db, row) for row in assessment.list_decisions(db=db, event_id=event_id)]


@router.post(
    "/api/v1/events/{slug}/risk-assessment/decisions",
    response_model=AssessmentRead,
    status_code=201,
    responses=errors(422),
)
def decide(
    slug: str, body: AssessmentDecision, principal: Commander, db: DbSession, clock: ClockDep
) -> AssessmentRead:
    """Accept a proposal for a risk, or override it (likelihood, impact and a reason); the risk takes
    the decided values, and both are kept."""
    event_id, spec = _plan(db, slug)
    row = assessment.decide(
        db=db, event_id=event_id, spec=spec, data=body, actor=principal.actor, clock=clock
    )
    db.commit()
    return _assessment_read(db, row)


def round_read(db: Session, row: ReviewRound) -> RoundRead:
    keys = {entry.id: entry.key for entry in service.list_risks(db=db, event_id=row.event_id)}
    items = [
        ReviewEntryRead(
            id=entry.id,
            kind=entry.kind,
            team=entry.team,
            reviewer=entry.reviewer,
            risk=keys.get(entry.risk_id) if entry.risk_id else None,
            text=entry.text,
            proposed=entry.proposed,
            at=entry.at,
            accepted_by=entry.accepted_by,
            accepted_at=entry.accepted_at,
        )
        for entry in review.entries(db=db, round_id=row.id)
    ]
    return RoundRead(
        id=row.id,
        title=row.title,
        status=row.status,
        required_teams=row.required_teams,
        signed_teams=review.signed_teams(db=db, round_id=row.id),
        missing_teams=review.missing_teams(db=db, row=row),
        created_by=row.created_by,
        created_at=row.created_at,
        completed_at=row.completed_at,
        entries=items,
    )


@router.get("/api/v1/events/{slug}/risk-reviews", response_model=list[RoundRead])
def list_rounds(slug: str, _viewer: CurrentPrincipal, db: DbSession) -> list[RoundRead]:
    """The expert review rounds, newest first, with their entries and the teams still to sign."""
    event_id, _spec = _plan(db, slug)
    return [round_read(db, row) for row in review.list_rounds(db=db, event_id=event_id)]


@router.post(
    "/api/v1/events/{slug}/risk-reviews", response_model=RoundRead, status_code=201, responses=errors(422)
)
def open_round(
    slug: str, body: RoundCreate, principal: Commander, db: DbSession, clock: ClockDep
) -> RoundRead:
    """Open a review round; required teams default to the plan's readiness.review_teams, else every team."""
    event_id, spec = _plan(db, slug)
    row = review.open_round(
        db=db, event_id=event_id, spec=spec, data=body, actor=principal.actor, clock=clock
    )
    db.commit()
    return round_read(db, row)


@router.get("/api/v1/events/{slug}/risk-reviews/{round_id}", response_model=RoundRead)
def get_round(slug: str, round_id: Id, _viewer: CurrentPrincipal, db: DbSession) -> RoundRead:
    """One review round of the event's register: its required teams, comments, proposed changes and
    sign-offs, and whether it is complete."""
    event_id, _spec = _plan(db, slug)
    return round_read(db, review.get_round(db=db, event_id=event_id, round_id=round_id))


@router.post(
    "/api/v1/events/{slug}/risk-reviews/{round_id}/entries",
    response_model=RoundRead,
    status_code=201,
    responses=errors(409, 422),
)
def add_entry(
    slug: str, round_id: Id, body: ReviewEntryCreate, principal: Responder, db: DbSession, clock: ClockDep
) -> RoundRead:
    """A comment or a proposed change on a risk, or the sign-off of the reviewer's team (a person of the
    plan whose id is the username or whose e-mail is the account's; an admin for any team); the round
    completes when the last required team signs."""
    event_id, spec = _plan(db, slug)
    row = review.get_round(db=db, event_id=event_id, round_id=round_id)
    member_of = (
        None
        if principal.role == Role.admin
        else review.teams_of(spec, principal.user.username, principal.user.email)
    )
    review.add_entry(
        db=db, row=row, spec=spec, data=body, actor=principal.actor, clock=clock, member_of=member_of
    )
    db.commit()
    return round_read(db, row)


@router.post(
    "/api/v1/events/{slug}/risk-reviews/{round_id}/entries/{entry_id}/accept",
    response_model=RoundRead,
    responses=errors(404, 409, 422),
)
def accept_proposal(
    slug: str, round_id: Id, entry_id: Id, principal: Commander, db: DbSession, clock: ClockDep
) -> RoundRead:
    """Accept a reviewer's proposed change (commander and up): the risk takes the proposed values
    (its history names the round, team and reviewer) and the proposal keeps who accepted it; audited."""
    event_id, spec = _plan(db, slug)
    row = review.get_round(db=db, event_id=event_id, round_id=round_id)
    review.accept_proposal(db=db, row=row, entry_id=entry_id, spec=spec, actor=principal.actor, clock=clock)
    db.commit()
    return round_read(db, row)
