"""What the preparation pages (risk register, surveys, readiness) share: the event and plan of a
page, and one way to run a form's action (signed in, role-checked, CSRF-checked, committed, then
POST-redirect-GET back to the page, with the error shown there when the action was refused)."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import quote

from fastapi import Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from eventguard.auth.deps import Principal
from eventguard.auth.models import Role
from eventguard.clock import Clock
from eventguard.config import Settings
from eventguard.errors import EventGuardError
from eventguard.events import service as events
from eventguard.events.models import Event
from eventguard.plans import service as plans
from eventguard.plans.schemas import PlanSpec
from eventguard.web import csrf
from eventguard.web.console import error_page, require, require_signed_in
from eventguard.web.pages import page_language


def event_and_plan(db: Session, slug: str) -> tuple[Event, PlanSpec]:
    event = events.get_by_slug(db=db, slug=slug)
    return event, plans.get_active_plan(db=db, event_id=event.id)


def act(
    request: Request,
    db: Session,
    clock: Clock,
    settings: Settings,
    csrf_token: str,
    minimum: Role,
    back: str,
    work: Callable[[Principal, Event, PlanSpec], str | None],
    slug: str,
) -> Response:
    """Run ``work`` (which may return where to go instead of ``back``) for a signed-in user of at
    least ``minimum``; a refused action comes back to ``back`` with ``?error=``."""
    principal = require_signed_in(request, db, clock)
    lang = page_language(request)
    try:
        require(principal, minimum)
        csrf.verify(request, csrf_token, settings)
        event, spec = event_and_plan(db, slug)
        target = work(principal, event, spec) or back
        db.commit()
    except EventGuardError as exc:
        db.rollback()
        if exc.status_code in (403, 404):
            return error_page(request, exc.status_code, exc.render(lang))
        separator = "&" if "?" in back else "?"
        return RedirectResponse(f"{back}{separator}error={quote(exc.render(lang))}", status_code=303)
    return RedirectResponse(target, status_code=303)
