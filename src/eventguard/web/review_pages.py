"""Postmortems in the console: the list of an event's postmortems (due dates, overdue) and action
items; the editor (the sections, the participants affected, the frozen timeline) whose every save
is a new version with who and when; submitting for review and the commander's approval; action
items (owner team, due date, status, overdue) and the plan change an item proposes (edited in a
textarea or uploaded, validated with every error and its line), accepted by a commander as a new
plan version; and the plan page's list of revisions that came from incidents and drills.

Every form is role-checked on the server, CSRF-checked and answered with a redirect back; a refused
action comes back to its page with the error shown there (a refused plan change keeps the text)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from eventguard.auth.deps import Principal
from eventguard.auth.models import Role
from eventguard.bodylimit import body_limit
from eventguard.clock import Clock
from eventguard.config import Settings
from eventguard.deps import ClockDep, DbSession, SettingsDep
from eventguard.errors import EventGuardError, InvalidInput
from eventguard.events import service as events
from eventguard.events.models import Event
from eventguard.i18n import Message
from eventguard.inputs import FormText
from eventguard.plans import service as plans
from eventguard.plans.issues import PlanInvalid
from eventguard.plans.schemas import PlanSpec
from eventguard.reviews import export, prefill, service
from eventguard.reviews.models import ActionItemStatus, Postmortem, PostmortemStatus
from eventguard.web import csrf
from eventguard.web.console import SignedIn, error_page, local_time, may, parse_id, require, require_signed_in
from eventguard.web.drill_pages import parse_due_date
from eventguard.web.pages import page_language, render
from eventguard.web.plan_revisions import drill_run_of
from eventguard.web.plan_viewer import UPLOAD_BODY_LIMIT, uploaded_text

router = APIRouter(include_in_schema=False)

OPEN_ITEMS = (ActionItemStatus.open, ActionItemStatus.in_progress)
SECTION_ROWS = {"summary": 3, "impact": 3, "response": 6, "lessons": 4}
MAX_SECTION = 20_000


def _back(url: str, error: str | None) -> str:
    if not error:
        return url
    path, _, anchor = url.partition("#")
    separator = "&" if "?" in path else "?"
    return f"{path}{separator}error={quote(error)}" + (f"#{anchor}" if anchor else "")


def _act(
    request: Request,
    db: Session,
    clock: Clock,
    settings: Settings,
    csrf_token: str,
    minimum: Role,
    back: str,
    work: Callable[[Principal], str | None],
) -> Response:
    """``work(principal)`` for a signed-in user of at least ``minimum``, committed; then back (or
    where ``work`` says), with the error shown on ``back`` when it was refused."""
    principal = require_signed_in(request, db, clock)
    lang = page_language(request)
    try:
        require(principal, minimum)
        csrf.verify(request, csrf_token, settings)
        target = work(principal) or back
        db.commit()
    except EventGuardError as exc:
        db.rollback()
        if exc.status_code in (403, 404):
            return error_page(request, exc.status_code, exc.render(lang))
        return RedirectResponse(_back(back, exc.render(lang)), status_code=303)
    return RedirectResponse(target, status_code=303)


def is_overdue(moment: datetime, now: datetime, done: bool) -> bool:
    return not done and moment < now


def _team_name(spec: PlanSpec, team_id: str, lang: str) -> str:
    team = spec.team(team_id)
    return team.name.get(lang) if team else team_id


def _common(spec: PlanSpec, lang: str, now: datetime) -> dict[str, Any]:
    return {
        "local_time": lambda moment: local_time(moment, spec.event.timezone),
        "team_name": lambda team_id: _team_name(spec, team_id, lang),
        "status_name": lambda status: export.status_name(status, lang),
        "item_overdue": lambda item: is_overdue(item.due_at, now, item.status not in OPEN_ITEMS),
        "postmortem_overdue": lambda p: is_overdue(p.due_at, now, p.status is PostmortemStatus.approved),
        "now": now,
    }


# --- The list -------------------------------------------------------------------------------------


@router.get("/events/{slug}/postmortems", response_class=HTMLResponse)
def postmortems_page(
    request: Request, slug: str, db: DbSession, clock: ClockDep, settings: SettingsDep, principal: SignedIn
) -> Response:
    """The event's postmortems (status, due date, overdue) and every action item of the event."""
    lang = page_language(request)
    try:
        event = events.get_by_slug(db=db, slug=slug)
        spec = plans.get_active_plan(db=db, event_id=event.id)
    except EventGuardError as exc:
        return error_page(request, exc.status_code, exc.render(lang))
    context = {
        "user": principal.user,
        "event": event,
        "spec": spec,
        "postmortems": service.list_postmortems(db=db, event_id=event.id),
        "items": service.list_items(db=db, event_id=event.id),
        "error": request.query_params.get("error"),
        **_common(spec, lang, clock.now()),
    }
    return render(request, "after/postmortems.html", context)


# --- One postmortem -----------------------------------------------------------------------------------


def _postmortem(db: Session, postmortem_id: str, for_update: bool = False) -> tuple[Postmortem, Event]:
    postmortem = service.get(db=db, postmortem_id=parse_id(postmortem_id), for_update=for_update)
    return postmortem, events.get(db=db, event_id=postmortem.event_id)


@router.get("/postmortems/{postmortem_id}", response_class=HTMLResponse)
def postmortem_page(
    request: Request,
    postmortem_id: str,
    db: DbSession,
    clock: ClockDep,
    settings: SettingsDep,
    principal: SignedIn,
) -> Response:
    """The editor (sections, facts, frozen timeline), its versions (``?version=N`` shows one as it
    was), submit and approve, its action items."""
    lang = page_language(request)
    try:
        postmortem, event = _postmortem(db, postmortem_id)
        spec = plans.get_active_plan(db=db, event_id=event.id)
    except EventGuardError as exc:
        return error_page(request, exc.status_code, exc.render(lang))
    versions = service.versions(db=db, postmortem_id=postmortem.id)
    wanted = parse_id(request.query_params.get("version", ""))
    shown = next((v for v in versions if v.number == wanted), None)
    document = shown.document if shown is not None else postmortem.document
    editable = postmortem.status is not PostmortemStatus.approved and shown is None
    token = csrf.FormToken(request, settings)
    context = {
        "user": principal.user,
        "event": event,
        "spec": spec,
        "postmortem": postmortem,
        "sections": [
            (name, export.section_title(name, lang), document.get("sections", {}).get(name, ""))
            for name in prefill.SECTIONS
        ],
        "rows": SECTION_ROWS,
        "facts": document.get("facts", {}),
        "versions": versions,
        "shown": shown,
        "items": service.list_items(db=db, postmortem_id=postmortem.id),
        "teams": spec.teams,
        "drill_run": drill_run_of(db, postmortem.incident_id),
        "can_edit": editable and may(principal, Role.responder),
        "can_submit": postmortem.status is PostmortemStatus.draft and may(principal, Role.responder),
        "can_approve": postmortem.status is PostmortemStatus.in_review and may(principal, Role.commander),
        "can_add": may(principal, Role.responder),
        "error": request.query_params.get("error"),
        "csrf": token.value,
        **_common(spec, lang, clock.now()),
    }
    return token.bind(render(request, "after/postmortem.html", context))


def _participants(value: str) -> int | None:
    if not value.strip():
        return None
    if not value.strip().isdigit() or len(value.strip()) > 9:
        raise InvalidInput(
            Message("Participants affected must be a whole number."), code="invalid_participants"
        )
    return int(value)


@router.post("/postmortems/{postmortem_id}/edit")
def edit_postmortem(
    request: Request,
    postmortem_id: str,
    db: DbSession,
    clock: ClockDep,
    settings: SettingsDep,
    csrf_token: str = Form(""),
    participants_affected: FormText = "",
    section_summary: FormText = "",
    section_impact: FormText = "",
    section_root_causes: FormText = "",
    section_contributing_factors: FormText = "",
    section_trigger: FormText = "",
    section_detection: FormText = "",
    section_response: FormText = "",
    section_resolution: FormText = "",
    section_went_well: FormText = "",
    section_went_badly: FormText = "",
    section_lucky: FormText = "",
    section_lessons: FormText = "",
) -> Response:
    """Save the sections (responder and up): a new version of the document with the ones changed."""
    texts = (
        section_summary,
        section_impact,
        section_root_causes,
        section_contributing_factors,
        section_trigger,
        section_detection,
        section_response,
        section_resolution,
        section_went_well,
        section_went_badly,
        section_lucky,
        section_lessons,
    )
    fields = dict(zip(prefill.SECTIONS, (text.replace("\r\n", "\n") for text in texts), strict=True))
    back = f"/postmortems/{parse_id(postmortem_id)}"

    def work(principal: Principal) -> str:
        postmortem, _event = _postmortem(db, postmortem_id, for_update=True)
        current = postmortem.document.get("sections", {})
        changed = {name: text for name, text in fields.items() if text != current.get(name, "")}
        participants = _participants(participants_affected)
        too_long = [name for name, text in changed.items() if len(text) > MAX_SECTION]
        if too_long:
            raise InvalidInput(
                Message("The section {section} is too long.", {"section": ", ".join(too_long)}),
                code="section_too_long",
            )
        if not changed and participants == postmortem.document.get("facts", {}).get("participants_affected"):
            raise InvalidInput(Message("Nothing was changed."), code="nothing_changed")
        service.edit(
            db=db,
            postmortem=postmortem,
            sections=changed,
            participants_affected=participants,
            actor=principal.actor,
            clock=clock,
        )
        return back

    return _act(request, db, clock, settings, csrf_token, Role.responder, back, work)


@router.post("/postmortems/{postmortem_id}/submit")
def submit_postmortem(
    request: Request,
    postmortem_id: str,
    db: DbSession,
    clock: ClockDep,
    settings: SettingsDep,
    csrf_token: str = Form(""),
) -> Response:
    """Ask for the commander's review (responder and up)."""

    def work(principal: Principal) -> None:
        postmortem, _event = _postmortem(db, postmortem_id, for_update=True)
        service.submit(db=db, postmortem=postmortem, actor=principal.actor, clock=clock)

    back = f"/postmortems/{parse_id(postmortem_id)}"
    return _act(request, db, clock, settings, csrf_token, Role.responder, back, work)


@router.post("/postmortems/{postmortem_id}/approve")
def approve_postmortem(
    request: Request,
    postmortem_id: str,
    db: DbSession,
    clock: ClockDep,
    settings: SettingsDep,
    csrf_token: str = Form(""),
) -> Response:
    """Approve it (commander and up); its incident becomes reviewed."""

    def work(principal: Principal) -> None:
        postmortem, _event = _postmortem(db, postmortem_id, for_update=True)
        service.approve(db=db, postmortem=postmortem, actor=principal.actor, clock=clock)

    back = f"/postmortems/{parse_id(postmortem_id)}"
    return _act(request, db, clock, settings, csrf_token, Role.commander, back, work)


@router.post("/postmortems/{postmortem_id}/action-items")
def add_action_item(
    request: Request,
    postmortem_id: str,
    db: DbSession,
    clock: ClockDep,
    settings: SettingsDep,
    csrf_token: str = Form(""),
    title: FormText = "",
    owner_team: FormText = "",
    due: FormText = "",
) -> Response:
    """An action item owned by a team of the plan, due on a date (responder and up)."""

    def work(principal: Principal) -> None:
        postmortem, event = _postmortem(db, postmortem_id)
        service.add_item(
            db=db,
            postmortem=postmortem,
            title=title,
            owner_team=owner_team,
            due_at=parse_due_date(due, event.timezone),
            actor=principal.actor,
            clock=clock,
        )

    back = f"/postmortems/{parse_id(postmortem_id)}#action-items"
    return _act(request, db, clock, settings, csrf_token, Role.responder, back, work)


# --- One action item and its plan change ----------------------------------------------------------


def item_page(
    request: Request,
    db: Session,
    clock: Clock,
    settings: Settings,
    principal: Principal,
    item_id: str,
    errors: list[str] | None = None,
    source: str | None = None,
) -> Response:
    """An action item; ``errors`` and ``source`` from a refused plan change (answered with 422)."""
    lang = page_language(request)
    try:
        item = service.get_item(db=db, item_id=parse_id(item_id))
        event = events.get(db=db, event_id=item.event_id)
        spec = plans.get_active_plan(db=db, event_id=event.id)
    except EventGuardError as exc:
        return error_page(request, exc.status_code, exc.render(lang))
    if source is None:
        source = item.proposed_plan or plans.get_version(db=db, slug=event.slug).source
    token = csrf.FormToken(request, settings)
    query_error = request.query_params.get("error")
    context = {
        "user": principal.user,
        "event": event,
        "spec": spec,
        "item": item,
        "statuses": list(ActionItemStatus),
        "drill_run": item.drill_run_id or drill_run_of(db, item.incident_id),
        "source": source,
        "errors": errors or [],
        "newest": plans.newest_number(db=db, slug=event.slug),
        "can_edit": may(principal, Role.responder),
        "can_propose": item.plan_version_id is None and may(principal, Role.responder),
        "can_accept": item.plan_version_id is None
        and item.proposed_plan is not None
        and may(principal, Role.commander),
        "error": query_error,
        "csrf": token.value,
        **_common(spec, lang, clock.now()),
    }
    return token.bind(render(request, "after/action_item.html", context, 422 if errors else 200))


@router.get("/action-items/{item_id}", response_class=HTMLResponse)
def action_item_page(
    request: Request, item_id: str, db: DbSession, clock: ClockDep, settings: SettingsDep, principal: SignedIn
) -> Response:
    """The item, its status, and the plan change it proposes (edit, upload, accept)."""
    return item_page(request, db, clock, settings, principal, item_id)


@router.post("/action-items/{item_id}/status")
def set_item_status(
    request: Request,
    item_id: str,
    db: DbSession,
    clock: ClockDep,
    settings: SettingsDep,
    csrf_token: str = Form(""),
    status: FormText = "",
) -> Response:
    """Open, in progress, done or won't do (responder and up)."""

    def work(principal: Principal) -> None:
        try:
            wanted = ActionItemStatus(status)
        except ValueError:
            raise InvalidInput(
                Message("Unknown status {status}.", {"status": status}), code="invalid_status"
            ) from None
        item = service.get_item(db=db, item_id=parse_id(item_id), for_update=True)
        service.set_item_status(db=db, item=item, status=wanted, actor=principal.actor, clock=clock)

    back = f"/action-items/{parse_id(item_id)}"
    return _act(request, db, clock, settings, csrf_token, Role.responder, back, work)


@router.post("/action-items/{item_id}/plan-change", response_class=HTMLResponse)
@body_limit(UPLOAD_BODY_LIMIT)
def propose_plan_change(
    request: Request,
    item_id: str,
    db: DbSession,
    clock: ClockDep,
    settings: SettingsDep,
    principal: SignedIn,
    csrf_token: str = Form(""),
    source: str = Form(""),
    plan_file: UploadFile | None = File(None),
) -> Response:
    """Attach the whole plan the item proposes (responder and up), pasted or uploaded; a plan that
    does not validate is shown again with every error and its line, nothing stored."""
    lang = page_language(request)
    text = source
    try:
        require(principal, Role.responder)
        csrf.verify(request, csrf_token, settings)
        text = uploaded_text(plan_file, source)
        if not text.strip():
            raise InvalidInput(Message("The proposed plan is empty."), code="empty_plan")
        item = service.get_item(db=db, item_id=parse_id(item_id), for_update=True)
        service.propose_plan_change(db=db, item=item, source=text, actor=principal.actor, clock=clock)
        db.commit()
    except PlanInvalid as exc:
        db.rollback()
        errors = [issue.format(lang) for issue in exc.result.errors]
        return item_page(request, db, clock, settings, principal, item_id, errors, text)
    except EventGuardError as exc:
        db.rollback()
        if exc.status_code in (403, 404):
            return error_page(request, exc.status_code, exc.render(lang))
        return item_page(request, db, clock, settings, principal, item_id, [exc.render(lang)], text)
    return RedirectResponse(f"/action-items/{item.id}#plan-change", status_code=303)


@router.post("/action-items/{item_id}/plan-change/accept")
def accept_plan_change(
    request: Request,
    item_id: str,
    db: DbSession,
    clock: ClockDep,
    settings: SettingsDep,
    csrf_token: str = Form(""),
) -> Response:
    """Apply the proposed plan as the event's newest version (commander and up); on to its diff."""

    def work(principal: Principal) -> str:
        item = service.get_item(db=db, item_id=parse_id(item_id), for_update=True)
        service.accept_plan_change(db=db, item=item, actor=principal.actor, clock=clock, role=principal.role)
        slug = events.get(db=db, event_id=item.event_id).slug
        return f"/events/{slug}/plan?diff={item.plan_version_number}#diff"

    back = f"/action-items/{parse_id(item_id)}#plan-change"
    return _act(request, db, clock, settings, csrf_token, Role.commander, back, work)
