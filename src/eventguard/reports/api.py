"""Report downloads: an incident report, a postmortem and a drill evaluation as Markdown, HTML or
PDF (with their charts), in the request's language. Any signed-in role may read them."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request, Response

from eventguard.auth.deps import CurrentPrincipal
from eventguard.deps import ClockDep, DbSession, request_language
from eventguard.inputs import Id
from eventguard.openapi import errors
from eventguard.reports import documents, render

router = APIRouter(prefix="/api/v1/reports", tags=["reports"], responses=errors(404))
Format = Annotated[
    Literal["md", "html", "pdf"], Query(description="md (text/markdown), html (text/html) or pdf.")
]
FILE_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "content": {
            "text/markdown": {"schema": {"type": "string"}},
            "text/html": {"schema": {"type": "string"}},
            "application/pdf": {"schema": {"type": "string", "format": "binary"}},
        },
        "description": "The document, with `Content-Disposition: attachment; filename=…`.",
    }
}


def download(document: documents.Document, fmt: str) -> Response:
    return Response(
        render.render(document, fmt),
        media_type=render.MEDIA_TYPES[fmt],
        headers={"Content-Disposition": f'attachment; filename="{render.filename(document, fmt)}"'},
    )


@router.get("/incidents/{incident_id}", response_class=Response, responses=FILE_RESPONSES)
def incident_report(
    incident_id: Id,
    request: Request,
    _viewer: CurrentPrincipal,
    db: DbSession,
    clock: ClockDep,
    format: Format = "pdf",
) -> Response:
    """The incident report: facts, response times, notifications against notify_within, runbook,
    timeline; in HTML and PDF with the response-phase and notification charts."""
    lang = request_language(request)
    return download(
        documents.incident_document(db=db, incident_id=incident_id, lang=lang, now=clock.now()), format
    )


@router.get("/postmortems/{postmortem_id}", response_class=Response, responses=FILE_RESPONSES)
def postmortem_report(
    postmortem_id: Id,
    request: Request,
    _viewer: CurrentPrincipal,
    db: DbSession,
    clock: ClockDep,
    format: Format = "pdf",
) -> Response:
    """The postmortem as it stands (its sections, action items and frozen timeline), with its
    incident's charts."""
    lang = request_language(request)
    document = documents.postmortem_document(db=db, postmortem_id=postmortem_id, lang=lang, now=clock.now())
    return download(document, format)


@router.get("/drill-runs/{run_id}", response_class=Response, responses=FILE_RESPONSES)
def drill_report(
    run_id: Id,
    request: Request,
    _viewer: CurrentPrincipal,
    db: DbSession,
    clock: ClockDep,
    format: Format = "pdf",
) -> Response:
    """A drill run's evaluation report (objectives, scores, strengths, gaps, action items,
    timeline), with its score per target and per team."""
    lang = request_language(request)
    return download(documents.drill_document(db=db, run_id=run_id, lang=lang, now=clock.now()), format)
