"""Postmortem API: list, read, edit (versioned), submit, approve, export; action items, their
status, their proposed plan change and its acceptance as a new plan version."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response
from sqlalchemy.orm import Session

from eventguard.auth.deps import CurrentPrincipal, Principal, require_role
from eventguard.auth.models import Role
from eventguard.deps import ClockDep, DbSession, request_language
from eventguard.events import service as events
from eventguard.inputs import Id, SafeStr
from eventguard.openapi import errors
from eventguard.reviews import export, service
from eventguard.reviews.models import ActionItem, Postmortem
from eventguard.reviews.schemas import (
    ActionItemIn,
    ActionItemRead,
    ActionItemStatusIn,
    PlanChangeIn,
    PostmortemDetail,
    PostmortemEdit,
    PostmortemRead,
    VersionRead,
)

router = APIRouter(prefix="/api/v1", tags=["reviews"], responses=errors(404))
Responder = Annotated[Principal, Depends(require_role(Role.responder))]
Commander = Annotated[Principal, Depends(require_role(Role.commander))]


def item_read(item: ActionItem) -> ActionItemRead:
    return ActionItemRead.model_validate(item, from_attributes=True).model_copy(
        update={"has_plan_change": item.proposed_plan is not None}
    )


def _detail(db: Session, postmortem: Postmortem) -> PostmortemDetail:
    return PostmortemDetail(
        **PostmortemRead.model_validate(postmortem).model_dump(),
        document=postmortem.document,
        timeline=postmortem.timeline,
        versions=[
            VersionRead.model_validate(v) for v in service.versions(db=db, postmortem_id=postmortem.id)
        ],
        action_items=[item_read(i) for i in service.list_items(db=db, postmortem_id=postmortem.id)],
    )


@router.get("/postmortems", response_model=list[PostmortemRead])
def list_postmortems(
    _viewer: CurrentPrincipal,
    db: DbSession,
    event: Annotated[SafeStr | None, Query(max_length=64, description="Event slug.")] = None,
) -> list[PostmortemRead]:
    """Postmortems, newest first."""
    event_id = events.get_by_slug(db=db, slug=event).id if event else None
    return [PostmortemRead.model_validate(p) for p in service.list_postmortems(db=db, event_id=event_id)]


@router.get("/postmortems/{postmortem_id}", response_model=PostmortemDetail)
def get_postmortem(postmortem_id: Id, _viewer: CurrentPrincipal, db: DbSession) -> PostmortemDetail:
    """One postmortem: its document, frozen timeline, versions and action items."""
    return _detail(db, service.get(db=db, postmortem_id=postmortem_id))


@router.patch("/postmortems/{postmortem_id}", response_model=PostmortemDetail, responses=errors(409))
def edit_postmortem(
    postmortem_id: Id, body: PostmortemEdit, principal: Responder, db: DbSession, clock: ClockDep
) -> PostmortemDetail:
    """Change sections: a new version of the document (an approved one is closed)."""
    postmortem = service.get(db=db, postmortem_id=postmortem_id, for_update=True)
    service.edit(
        db=db,
        postmortem=postmortem,
        sections=dict(body.sections),
        participants_affected=body.participants_affected,
        actor=principal.actor,
        clock=clock,
    )
    db.commit()
    return _detail(db, postmortem)


@router.post("/postmortems/{postmortem_id}/submit", response_model=PostmortemRead, responses=errors(409))
def submit_postmortem(
    postmortem_id: Id, principal: Responder, db: DbSession, clock: ClockDep
) -> PostmortemRead:
    """Ask for the commander's review."""
    postmortem = service.get(db=db, postmortem_id=postmortem_id, for_update=True)
    service.submit(db=db, postmortem=postmortem, actor=principal.actor, clock=clock)
    db.commit()
    return PostmortemRead.model_validate(postmortem)


@router.post("/postmortems/{postmortem_id}/approve", response_model=PostmortemRead, responses=errors(409))
def approve_postmortem(
    postmortem_id: Id, principal: Commander, db: DbSession, clock: ClockDep
) -> PostmortemRead:
    """Approve it (commander); the incident becomes reviewed."""
    postmortem = service.get(db=db, postmortem_id=postmortem_id, for_update=True)
    service.approve(db=db, postmortem=postmortem, actor=principal.actor, clock=clock)
    db.commit()
    return PostmortemRead.model_validate(postmortem)


@router.get(
    "/postmortems/{postmortem_id}/export",
    response_class=Response,
    responses={200: {"content": {"text/markdown": {"schema": {"type": "string"}}}}},
)
def export_postmortem(
    postmortem_id: Id, _viewer: CurrentPrincipal, db: DbSession, request: Request
) -> Response:
    """The postmortem as Markdown."""
    postmortem = service.get(db=db, postmortem_id=postmortem_id)
    text = export.markdown(db=db, postmortem=postmortem, language=request_language(request))
    return Response(text, media_type="text/markdown; charset=utf-8")


@router.post("/postmortems/{postmortem_id}/action-items", response_model=ActionItemRead, status_code=201)
def add_action_item(
    postmortem_id: Id, body: ActionItemIn, principal: Responder, db: DbSession, clock: ClockDep
) -> ActionItemRead:
    """An action item owned by a team of the plan, due on a date."""
    postmortem = service.get(db=db, postmortem_id=postmortem_id)
    item = service.add_item(
        db=db,
        postmortem=postmortem,
        title=body.title,
        owner_team=body.owner_team,
        due_at=body.due_at,
        actor=principal.actor,
        clock=clock,
    )
    db.commit()
    return item_read(item)


@router.get("/action-items", response_model=list[ActionItemRead])
def list_action_items(
    _viewer: CurrentPrincipal,
    db: DbSession,
    event: Annotated[SafeStr | None, Query(max_length=64, description="Event slug.")] = None,
) -> list[ActionItemRead]:
    """Action items, oldest first."""
    event_id = events.get_by_slug(db=db, slug=event).id if event else None
    return [item_read(i) for i in service.list_items(db=db, event_id=event_id)]


@router.post("/action-items/{item_id}/status", response_model=ActionItemRead)
def set_action_item_status(
    item_id: Id, body: ActionItemStatusIn, principal: Responder, db: DbSession, clock: ClockDep
) -> ActionItemRead:
    """Open, in progress, done or won't do."""
    item = service.get_item(db=db, item_id=item_id, for_update=True)
    service.set_item_status(db=db, item=item, status=body.status, actor=principal.actor, clock=clock)
    db.commit()
    return item_read(item)


@router.put("/action-items/{item_id}/plan-change", response_model=ActionItemRead, responses=errors(409))
def propose_plan_change(
    item_id: Id, body: PlanChangeIn, principal: Responder, db: DbSession, clock: ClockDep
) -> ActionItemRead:
    """Attach the plan (whole YAML) the item proposes; 422 with every error and its line."""
    item = service.get_item(db=db, item_id=item_id, for_update=True)
    service.propose_plan_change(db=db, item=item, source=body.source, actor=principal.actor, clock=clock)
    db.commit()
    return item_read(item)


@router.post(
    "/action-items/{item_id}/plan-change/accept", response_model=ActionItemRead, responses=errors(409)
)
def accept_plan_change(item_id: Id, principal: Commander, db: DbSession, clock: ClockDep) -> ActionItemRead:
    """Apply the proposed plan as a new version (commander) linked to the item and its incident."""
    item = service.get_item(db=db, item_id=item_id, for_update=True)
    service.accept_plan_change(db=db, item=item, actor=principal.actor, clock=clock, role=principal.role)
    db.commit()
    return item_read(item)
