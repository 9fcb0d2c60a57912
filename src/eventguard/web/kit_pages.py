"""The offline kit in the console: the current plan version, whether the kit in the worker's export
directory is stale, and download buttons (HTML, PDF) for responders."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from eventguard.auth.models import Role
from eventguard.deps import ClockDep, DbSession, SettingsDep
from eventguard.errors import EventGuardError
from eventguard.kit import service
from eventguard.plans import service as plans
from eventguard.web.console import SignedIn, error_page, local_time, may, require
from eventguard.web.pages import page_language, render
from eventguard.web.prepare_common import event_and_plan

router = APIRouter(include_in_schema=False)


@router.get("/events/{slug}/kit", response_class=HTMLResponse)
def kit_page(
    request: Request, slug: str, db: DbSession, clock: ClockDep, settings: SettingsDep, principal: SignedIn
) -> Response:
    lang = page_language(request)
    try:
        event, spec = event_and_plan(db, slug)
        version = plans.get_version(db=db, slug=slug)
    except EventGuardError as exc:
        return error_page(request, exc.status_code, exc.render(lang))
    exported = None
    out = settings.kit_export_dir
    if out is not None:
        path = out / f"{slug}-kit.html"
        if path.is_file():
            try:
                exported = service.verify_text(db=db, text=path.read_text(encoding="utf-8", errors="replace"))
            except EventGuardError:
                exported = None
    context = {
        "user": principal.user,
        "event": event,
        "spec": spec,
        "version": version,
        "created_local": local_time(version.created_at, spec.event.timezone),
        "export_dir": str(out) if out else None,
        "exported": exported,
        "can_download": may(principal, Role.responder),
    }
    return render(request, "kit/page.html", context)


@router.get("/events/{slug}/kit/download")
def kit_download(
    request: Request, slug: str, db: DbSession, clock: ClockDep, principal: SignedIn, format: str = "html"
) -> Response:
    lang = page_language(request)
    try:
        require(principal, Role.responder)
        kit = service.make(db=db, slug=slug, clock=clock, language=lang)
    except EventGuardError as exc:
        return error_page(request, exc.status_code, exc.render(lang))
    suffix = "pdf" if format == "pdf" else "html"
    body = kit.pdf() if suffix == "pdf" else kit.html.encode("utf-8")
    media = "application/pdf" if suffix == "pdf" else "text/html; charset=utf-8"
    headers = {
        "Content-Disposition": f'attachment; filename="{kit.file_name(suffix)}"',
        "Cache-Control": "no-store",
    }
    return Response(content=body, media_type=media, headers=headers)
