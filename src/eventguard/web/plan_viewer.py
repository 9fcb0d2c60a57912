"""The plan viewer: the plan in force, readable; its versions with their diffs; uploading a new version
(commander and up) with the validator's line-numbered errors shown on the page."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from eventguard.auth.deps import Principal
from eventguard.auth.models import Role
from eventguard.bodylimit import body_limit
from eventguard.config import Settings
from eventguard.deps import ClockDep, DbSession, SettingsDep
from eventguard.errors import EventGuardError, InvalidInput
from eventguard.events import service as events
from eventguard.i18n import Message, t
from eventguard.inputs import FormText
from eventguard.plans import service as plans
from eventguard.plans.api import MAX_PLAN_BYTES
from eventguard.plans.diff import PlanDiff
from eventguard.plans.schemas import PersonTarget, PlanSpec, TeamTarget
from eventguard.web import csrf
from eventguard.web.console import SignedIn, error_page, may, parse_id, require
from eventguard.web.pages import page_language, render
from eventguard.web.plan_revisions import plan_revisions

router = APIRouter(include_in_schema=False)

# A plan file is as large as the API takes one; the form may carry a pasted plan beside the file.
UPLOAD_BODY_LIMIT = 2 * MAX_PLAN_BYTES + 64 * 1024


def target_label(target: object, spec: PlanSpec, lang: str) -> str:
    """A notify target as people read it: "Technical team (lead)", a person's name, or a channel id."""
    if isinstance(target, TeamTarget):
        team = spec.team(target.team)
        return f"{team.name.get(lang) if team else target.team} ({t(target.role, lang)})"
    if isinstance(target, PersonTarget):
        return next((person.name for person in spec.people if person.id == target.person), target.person)
    return f"#{getattr(target, 'channel', '?')}"


def _diff(db: Session, slug: str, wanted: str | None, newest: int) -> PlanDiff | None:
    """``?diff=3`` compares version 3 with the one before it; nothing for the first or a bad value."""
    if not wanted or not 1 < parse_id(wanted) <= newest:
        return None
    return plans.diff_versions(db=db, slug=slug, a=int(wanted) - 1, b=int(wanted))


def plan_page(
    request: Request,
    db: Session,
    settings: Settings,
    principal: Principal,
    slug: str,
    errors: list[str] | None = None,
    source: str = "",
    error_status: int = 422,
) -> Response:
    """The plan page, or the 404 page for an unknown event; ``errors`` from a refused upload
    (answered with ``error_status``)."""
    lang = page_language(request)
    try:
        event = events.get_by_slug(db=db, slug=slug)
        spec = plans.get_active_plan(db=db, event_id=event.id)
        versions = plans.list_versions(db=db, slug=slug)
        diff = _diff(db, slug, request.query_params.get("diff"), versions[0].number if versions else 0)
    except EventGuardError as exc:
        return error_page(request, exc.status_code, exc.render(lang))
    token = csrf.FormToken(request, settings)
    spec_people = {person.id: person for person in spec.people}
    context: dict[str, Any] = {
        "user": principal.user,
        "event": event,
        "spec": spec,
        "people": spec_people,
        "target_label": lambda target: target_label(target, spec, lang),
        "name_of": lambda person_id: getattr(spec_people.get(person_id), "name", person_id),
        "versions": versions,
        "diff": diff,
        "diff_number": request.query_params.get("diff"),
        "can_upload": may(principal, Role.commander),
        "csrf": token.value,
        "errors": errors or [],
        "source": source,
        "revisions": plan_revisions(db, event.id),
    }
    return token.bind(render(request, "plan.html", context, error_status if errors else 200))


@router.get("/events/{slug}/plan", response_class=HTMLResponse)
def plan_viewer(
    request: Request, slug: str, db: DbSession, clock: ClockDep, settings: SettingsDep, principal: SignedIn
) -> Response:
    """The plan in force, its version history (``?diff=N``: what version N changed)."""
    return plan_page(request, db, settings, principal, slug)


def uploaded_text(plan_file: UploadFile | None, source: str) -> str:
    if plan_file is not None and plan_file.filename:
        raw = plan_file.file.read(MAX_PLAN_BYTES + 1)
        if len(raw) > MAX_PLAN_BYTES:
            raise InvalidInput(Message("The plan file is too large."), code="plan_too_large")
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            raise InvalidInput(Message("The plan file is not UTF-8 text."), code="plan_not_utf8") from None
    return source


@router.post("/events/{slug}/plan", response_class=HTMLResponse)
@body_limit(UPLOAD_BODY_LIMIT)
def plan_upload(
    request: Request,
    slug: str,
    db: DbSession,
    clock: ClockDep,
    settings: SettingsDep,
    principal: SignedIn,
    csrf_token: str = Form(""),
    source: str = Form(""),
    comment: FormText = "",
    plan_file: UploadFile | None = File(None),
) -> Response:
    """Validate the uploaded plan; apply it as the newest version, or show every error with its line."""
    lang = page_language(request)
    try:
        require(principal, Role.commander)
        csrf.verify(request, csrf_token, settings)
        text = uploaded_text(plan_file, source)
    except EventGuardError as exc:
        if exc.status_code == 403:
            return error_page(request, 403, exc.render(lang))
        return plan_page(request, db, settings, principal, slug, [exc.render(lang)], source)
    result = plans.validate_source(
        source=text, filename=(plan_file.filename if plan_file else None) or "plan.yaml"
    )
    if result.spec is not None and result.spec.event.slug != slug:
        wrong = Message(
            "The plan is for event {other}, not {slug}.", {"other": result.spec.event.slug, "slug": slug}
        )
        return plan_page(request, db, settings, principal, slug, [wrong.render(lang)], text)
    if result.spec is None:
        return plan_page(
            request, db, settings, principal, slug, [i.format(lang) for i in result.errors], text
        )
    try:
        plans.apply_plan(
            db=db,
            source=text,
            filename="console",
            actor=principal.actor,
            clock=clock,
            comment=comment or None,
            language=lang,
            role=principal.role,
        )
    except EventGuardError as exc:  # e.g. a security change below admin: nothing was applied
        db.rollback()
        return plan_page(request, db, settings, principal, slug, [exc.render(lang)], text, exc.status_code)
    db.commit()
    return RedirectResponse(f"/events/{slug}/plan", status_code=303)
