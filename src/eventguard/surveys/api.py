"""Survey API: CSV import (responder and up; the CSV is the body), answers with their tags and the
complaint ranking (viewer), a complaint made into a risk (responder), the complaint tags edited as a
new plan version (commander, as any plan change). The public form is a console page
(``web/survey_pages.py``)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from sqlalchemy.orm import Session

from eventguard.auth.deps import CurrentPrincipal, Principal, require_role
from eventguard.auth.models import Role
from eventguard.bodylimit import body_limit
from eventguard.deps import ClockDep, DbSession, request_language
from eventguard.events import service as events
from eventguard.openapi import errors
from eventguard.plans import service as plans
from eventguard.plans.schemas import PlanSpec, SurveyTag
from eventguard.risks.api import risk_detail
from eventguard.risks.schemas import RiskDetail
from eventguard.surveys import service
from eventguard.surveys.schemas import ImportRead, RankingRead, ResponseRead, TagsEditedRead, TagsIn

router = APIRouter(tags=["surveys"], responses=errors(404))
Responder = Annotated[Principal, Depends(require_role(Role.responder))]
Commander = Annotated[Principal, Depends(require_role(Role.commander))]
MAX_CSV_BYTES = 8 * 1024 * 1024
Column = Annotated[str | None, Query(max_length=200)]
_CSV_DOC = {"requestBody": {"required": True, "content": {"text/csv": {"schema": {"type": "string"}}}}}


def _plan(db: Session, slug: str) -> tuple[int, PlanSpec]:
    event = events.get_by_slug(db=db, slug=slug)
    return event.id, plans.get_active_plan(db=db, event_id=event.id)


async def _csv_body(request: Request) -> bytes:
    return await request.body()


@router.post(
    "/api/v1/events/{slug}/surveys/import",
    response_model=ImportRead,
    status_code=201,
    responses=errors(422),
    openapi_extra=_CSV_DOC,
)
@body_limit(MAX_CSV_BYTES)
def import_csv(
    slug: str,
    principal: Responder,
    db: DbSession,
    clock: ClockDep,
    raw: Annotated[bytes, Depends(_csv_body)],
    text: Annotated[str, Query(max_length=200, description="The file's column with the answer.")],
    rating: Column = None,
    submitted_at: Column = None,
    encoding: service.Encoding = "auto",
) -> ImportRead:
    """Import a CSV file of answers (the body): ``text``, ``rating`` and ``submitted_at`` name its
    columns; ``encoding`` auto (UTF-8, then GB18030), utf-8 or gb18030."""
    event_id, _spec = _plan(db, slug)
    mapping = (
        {"text": text}
        | ({"rating": rating} if rating else {})
        | ({"submitted_at": submitted_at} if submitted_at else {})
    )
    result = service.import_csv(
        db=db,
        event_id=event_id,
        raw=raw,
        mapping=mapping,
        encoding=encoding,
        actor=principal.actor,
        clock=clock,
    )
    db.commit()
    return ImportRead(**asdict(result))


@router.get("/api/v1/events/{slug}/surveys/responses", response_model=list[ResponseRead])
def list_responses(
    slug: str,
    _viewer: CurrentPrincipal,
    db: DbSession,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[ResponseRead]:
    """The newest answers with the tags the plan's rules give them."""
    event_id, spec = _plan(db, slug)
    tag_of = service.matcher(spec.surveys.tags)
    return [
        ResponseRead(
            id=row.id,
            source=row.source,
            rating=row.rating,
            text=row.text,
            submitted_at=row.submitted_at,
            tags=tag_of(row.text),
        )
        for row in service.responses(db=db, event_id=event_id, limit=limit)
    ]


@router.get("/api/v1/events/{slug}/surveys/ranking", response_model=RankingRead)
def ranking(slug: str, _viewer: CurrentPrincipal, db: DbSession) -> RankingRead:
    """Complaint tags ranked by frequency over every event's answers, with counts, shares and the trend
    of this event against the one before it."""
    event_id, spec = _plan(db, slug)
    return RankingRead.model_validate(asdict(service.ranking(db=db, event_id=event_id, spec=spec)))


@router.post(
    "/api/v1/events/{slug}/surveys/complaints/{tag}/risk",
    response_model=RiskDetail,
    status_code=201,
    responses=errors(409, 422),
)
def complaint_to_risk(
    slug: str, tag: str, principal: Responder, db: DbSession, clock: ClockDep
) -> RiskDetail:
    """Make a complaint tag a risk of the register, linked to its evidence (the answers and counts)."""
    event_id, spec = _plan(db, slug)
    entry = service.complaint_to_risk(
        db=db, event_id=event_id, spec=spec, tag_id=tag, actor=principal.actor, clock=clock
    )
    db.commit()
    return risk_detail(db, entry)


@router.get("/api/v1/events/{slug}/surveys/tags", response_model=list[SurveyTag])
def list_tags(slug: str, _viewer: CurrentPrincipal, db: DbSession) -> list[SurveyTag]:
    """The complaint tags of the plan in force (id, names, zh and en keywords, category, scenario)."""
    _event_id, spec = _plan(db, slug)
    return list(spec.surveys.tags)


@router.put(
    "/api/v1/events/{slug}/surveys/tags", response_model=TagsEditedRead, responses=errors(403, 409, 422)
)
def edit_tags(
    slug: str, body: TagsIn, principal: Commander, request: Request, db: DbSession, clock: ClockDep
) -> TagsEditedRead:
    """Replace the complaint tags (commander and up): the plan's ``surveys.tags`` is rewritten as a new
    plan version (validated: 422 with every error; in the plan history and diff; audited as
    ``survey.tags_edit``) and every stored answer is tagged by the new rules at once (``retagged``
    counts the answers whose tags changed). The rest of the plan file is kept as it was."""
    result = service.edit_tags(
        db=db,
        slug=slug,
        tags=[tag.model_dump(mode="json", by_alias=True, exclude_defaults=True) for tag in body.tags],
        actor=principal.actor,
        clock=clock,
        comment=body.comment,
        role=principal.role,
        language=request_language(request),
    )
    db.commit()
    _event_id, spec = _plan(db, slug)
    return TagsEditedRead(**asdict(result), tags=list(spec.surveys.tags))
