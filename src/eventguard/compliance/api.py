"""Compliance API: mark a security incident reportable (responders), read its deadlines, complete
a report's draft and record it as sent (who, when, to which authority)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from sqlalchemy.orm import Session

from eventguard.auth.deps import CurrentPrincipal, Principal, require_role
from eventguard.auth.models import Role
from eventguard.clock import Clock
from eventguard.compliance import drafts, service
from eventguard.compliance.schemas import (
    ComplianceRead,
    DeadlineRead,
    DraftIn,
    MarkRead,
    ReportableIn,
    SentIn,
)
from eventguard.deps import ClockDep, DbSession, request_language
from eventguard.incidents import service as incidents
from eventguard.inputs import Id
from eventguard.openapi import errors

router = APIRouter(prefix="/api/v1", tags=["compliance"], responses=errors(404))
Responder = Annotated[Principal, Depends(require_role(Role.responder))]


def read(db: Session, incident_id: int, clock: Clock) -> ComplianceRead:
    mark = service.get_mark(db=db, incident_id=incident_id)
    now = clock.now()
    return ComplianceRead(
        mark=MarkRead.model_validate(mark) if mark else None,
        deadlines=[
            DeadlineRead(**service.view(d, now)) for d in service.deadlines_of(db=db, incident_id=incident_id)
        ],
    )


@router.get("/incidents/{incident_id}/compliance", response_model=ComplianceRead)
def get_compliance(
    incident_id: Id, _viewer: CurrentPrincipal, db: DbSession, clock: ClockDep
) -> ComplianceRead:
    """Whether the incident is reportable, and its reporting deadlines with their drafts."""
    incidents.get(db=db, incident_id=incident_id)
    return read(db, incident_id, clock)


@router.post(
    "/incidents/{incident_id}/reportable",
    response_model=ComplianceRead,
    status_code=201,
    responses=errors(409, 422),
)
def mark_reportable(
    incident_id: Id,
    body: ReportableIn,
    principal: Responder,
    db: DbSession,
    clock: ClockDep,
    request: Request,
) -> ComplianceRead:
    """Mark a security incident reportable with a grade: the plan's reporting deadlines start."""
    incident = incidents.get(db=db, incident_id=incident_id, for_update=True)
    service.mark_reportable(
        db=db,
        incident=incident,
        grade=body.grade,
        personal_data=body.personal_data,
        eu_personal_data=body.eu_personal_data,
        aware_at=body.aware_at,
        note=body.note,
        actor=principal.actor,
        clock=clock,
        language=request_language(request),
    )
    db.commit()
    return read(db, incident_id, clock)


@router.patch(
    "/compliance/deadlines/{deadline_id}/draft", response_model=DeadlineRead, responses=errors(409, 422)
)
def edit_draft(
    deadline_id: Id, body: DraftIn, principal: Responder, db: DbSession, clock: ClockDep
) -> DeadlineRead:
    """Fill in fields of a report's draft (by position)."""
    deadline = service.get_deadline(db=db, deadline_id=deadline_id)
    service.edit_draft(db=db, deadline=deadline, values=dict(body.values), actor=principal.actor, clock=clock)
    db.commit()
    return DeadlineRead(**service.view(deadline, clock.now()))


@router.post(
    "/compliance/deadlines/{deadline_id}/sent", response_model=DeadlineRead, responses=errors(409, 422)
)
def record_sent(
    deadline_id: Id, body: SentIn, principal: Responder, db: DbSession, clock: ClockDep
) -> DeadlineRead:
    """Record the report as sent: who sent it, when, to which authority (and its receipt)."""
    deadline = service.get_deadline(db=db, deadline_id=deadline_id)
    sending = service.Sending(
        sent_at=body.sent_at, sent_by=body.sent_by, sent_to=body.sent_to, reference=body.reference
    )
    service.record_sent(
        db=db,
        deadline=deadline,
        sending=sending,
        actor=principal.actor,
        clock=clock,
        allow_partial=body.partial,
    )
    db.commit()
    return DeadlineRead(**service.view(deadline, clock.now()))


@router.get(
    "/compliance/deadlines/{deadline_id}/draft",
    response_class=Response,
    responses={200: {"content": {"text/markdown": {"schema": {"type": "string"}}}}},
)
def draft_text(deadline_id: Id, _viewer: CurrentPrincipal, db: DbSession, request: Request) -> Response:
    """The report's draft as Markdown, to paste into the authority's form or mail."""
    deadline = service.get_deadline(db=db, deadline_id=deadline_id)
    text = drafts.markdown(deadline, request_language(request))
    return Response(content=text, media_type="text/markdown; charset=utf-8")
