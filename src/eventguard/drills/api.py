"""Drill API: start a run of a plan's drill, follow it (injections, answers, the scorecard as it
stands), record tabletop answers, finish or cancel it, read its evaluation report."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request, Response
from sqlalchemy.orm import Session

from eventguard.auth.deps import CurrentPrincipal, Principal, require_role
from eventguard.auth.models import Role
from eventguard.deps import ClockDep, DbSession, request_language
from eventguard.drills import report, scoring, service
from eventguard.drills.models import DrillRun, DrillStatus
from eventguard.drills.schemas import (
    AnswerIn,
    AnswerRead,
    CriterionRead,
    DrillRunDetail,
    DrillRunRead,
    DrillStart,
    FinishIn,
    InjectionRead,
    ScorecardRead,
)
from eventguard.events import service as events
from eventguard.inputs import Id, SafeStr
from eventguard.openapi import errors

router = APIRouter(prefix="/api/v1/drills", tags=["drills"], responses=errors(404))
Responder = Annotated[Principal, Depends(require_role(Role.responder))]
Commander = Annotated[Principal, Depends(require_role(Role.commander))]


def scorecard_read(card: scoring.Scorecard, language: str) -> ScorecardRead:
    return ScorecardRead(
        score=card.score,
        passed=card.passed,
        pass_score=card.pass_score,
        incident_id=card.incident_id,
        teams=card.teams,
        criteria=[
            CriterionRead(
                key=c.key,
                title=report.criterion_title(c, language),
                points=c.points,
                met=c.met,
                target_seconds=c.target_seconds,
                actual_seconds=c.actual_seconds,
                team=c.team,
                detail=c.detail,
            )
            for c in card.criteria
        ],
    )


def detail(db: Session, run: DrillRun, language: str) -> DrillRunDetail:
    card = (
        scoring.Scorecard.from_dict(run.scorecard)
        if run.status is DrillStatus.finished
        else service.score(db=db, run=run)
    )
    return DrillRunDetail(
        **DrillRunRead.model_validate(run).model_dump(),
        event_slug=events.get(db=db, event_id=run.event_id).slug,
        incident_ids=[incident.id for incident in service.run_incidents(db=db, run=run)],
        injections=[InjectionRead.model_validate(i) for i in service.injections(db=db, run_id=run.id)],
        answers=[AnswerRead.model_validate(a) for a in service.answers(db=db, run_id=run.id)],
        scorecard=scorecard_read(card, language),
    )


@router.get("/runs", response_model=list[DrillRunRead])
def list_runs(
    _viewer: CurrentPrincipal,
    db: DbSession,
    event: Annotated[SafeStr | None, Query(max_length=64, description="Event slug.")] = None,
) -> list[DrillRunRead]:
    """Drill runs, newest first (of one event with ``?event=``)."""
    event_id = events.get_by_slug(db=db, slug=event).id if event else None
    return [DrillRunRead.model_validate(run) for run in service.list_runs(db=db, event_id=event_id)]


@router.post("/runs", response_model=DrillRunDetail, status_code=201, responses=errors(409))
def start_run(
    body: DrillStart, principal: Commander, db: DbSession, clock: ClockDep, request: Request
) -> DrillRunDetail:
    """Start a run of the plan's drill: a live one injects its script into the real pipeline (every
    incident and notification marked as a drill), a tabletop one waits for answers."""
    event = events.get_by_slug(db=db, slug=body.event)
    run = service.start(db=db, event=event, drill_id=body.drill, actor=principal.actor, clock=clock)
    db.commit()
    return detail(db, run, request_language(request))


@router.get("/runs/{run_id}", response_model=DrillRunDetail)
def get_run(run_id: Id, _viewer: CurrentPrincipal, db: DbSession, request: Request) -> DrillRunDetail:
    """One run: its injections, answers, incidents and scorecard."""
    return detail(db, service.get(db=db, run_id=run_id), request_language(request))


@router.post("/runs/{run_id}/answers", response_model=AnswerRead, responses=errors(409))
def record_answer(
    run_id: Id, body: AnswerIn, principal: Responder, db: DbSession, clock: ClockDep
) -> AnswerRead:
    """Record (or correct) the answer to a tabletop question, with its rating."""
    run = service.get(db=db, run_id=run_id, for_update=True)
    answer = service.record_answer(
        db=db,
        run=run,
        spec=service.spec_of(db, run),
        position=body.position,
        answer=body.answer,
        rating=body.rating,
        team=body.team,
        actor=principal.actor,
        clock=clock,
    )
    db.commit()
    return AnswerRead.model_validate(answer)


@router.post("/runs/{run_id}/finish", response_model=DrillRunDetail, responses=errors(409))
def finish_run(
    run_id: Id, body: FinishIn, principal: Commander, db: DbSession, clock: ClockDep, request: Request
) -> DrillRunDetail:
    """Finish the run: score it against the plan's targets and resolve its drill incidents."""
    run = service.get(db=db, run_id=run_id, for_update=True)
    service.finish(db=db, run=run, notes=body.notes, actor=principal.actor, clock=clock)
    db.commit()
    return detail(db, run, request_language(request))


@router.post("/runs/{run_id}/cancel", response_model=DrillRunRead, responses=errors(409))
def cancel_run(run_id: Id, principal: Commander, db: DbSession, clock: ClockDep) -> DrillRunRead:
    """Stop the run without a score; the injections not made yet are never made."""
    run = service.get(db=db, run_id=run_id, for_update=True)
    service.cancel(db=db, run=run, actor=principal.actor, clock=clock)
    db.commit()
    return DrillRunRead.model_validate(run)


@router.get(
    "/runs/{run_id}/report",
    response_class=Response,
    responses={200: {"content": {"text/markdown": {"schema": {"type": "string"}}}}},
)
def run_report(
    run_id: Id,
    _viewer: CurrentPrincipal,
    db: DbSession,
    request: Request,
    format: Annotated[Literal["md"], Query(description="md (Markdown).")] = "md",
) -> Response:
    """The evaluation report: objectives, timeline, scores, strengths, gaps and action items."""
    language = request_language(request)
    run = service.get(db=db, run_id=run_id)
    text = report.markdown(report.evaluate(db=db, run=run, language=language), language)
    return Response(text, media_type="text/markdown; charset=utf-8")
