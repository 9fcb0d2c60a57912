"""Downloading the offline kit of an event's current plan (responders: it holds phone numbers)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request, Response

from eventguard.auth.deps import Principal, require_role
from eventguard.auth.models import Role
from eventguard.deps import ClockDep, DbSession, request_language
from eventguard.inputs import SafeStr
from eventguard.kit import service
from eventguard.openapi import errors

router = APIRouter(prefix="/api/v1", tags=["kit"], responses=errors(404))
Responder = Annotated[Principal, Depends(require_role(Role.responder))]


@router.get(
    "/events/{slug}/kit",
    response_class=Response,
    responses={200: {"content": {"text/html": {"schema": {"type": "string"}}, "application/pdf": {}}}},
)
def download_kit(
    slug: SafeStr,
    _responder: Responder,
    db: DbSession,
    clock: ClockDep,
    request: Request,
    format: Annotated[
        Literal["html", "pdf"], Query(description="html (one self-contained file) or pdf (A4).")
    ] = "html",
) -> Response:
    """The offline emergency kit of the event's current plan, as an attachment (HTML or PDF)."""
    kit = service.make(db=db, slug=slug, clock=clock, language=request_language(request))
    if format == "pdf":
        body, media = kit.pdf(), "application/pdf"
    else:
        body, media = kit.html.encode("utf-8"), "text/html; charset=utf-8"
    headers = {
        "Content-Disposition": f'attachment; filename="{kit.file_name(format)}"',
        "X-EventGuard-Plan-Version": str(kit.stamp.plan_version),
        "Cache-Control": "no-store",
    }
    return Response(content=body, media_type=media, headers=headers)
