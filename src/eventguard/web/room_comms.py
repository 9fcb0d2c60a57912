"""What PR and operations do in the incident room, as plain HTML forms: draft a public update from a
template, preview it in both languages, edit it, submit it (a second commander approves on approval
levels), publish or discard it; switch backup plans on and off. Each action is role-checked and
CSRF-checked by ``room_actions.act`` and done by the comms domain's own functions, so it is timelined
and audited exactly as through the API."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from eventguard.auth.deps import Principal
from eventguard.auth.models import Role
from eventguard.comms.backups import service as backups
from eventguard.comms.models import PublicStatus, PublicUpdate
from eventguard.comms.statuspage.cache import cache_of
from eventguard.comms.updates import approval, drafts
from eventguard.deps import ClockDep, DbSession, SettingsDep
from eventguard.errors import EventGuardError, InvalidInput, NotFound
from eventguard.events import service as events
from eventguard.i18n import Message
from eventguard.incidents import service as incidents
from eventguard.incidents.models import Incident
from eventguard.inputs import FormText
from eventguard.plans import service as plans
from eventguard.web import csrf
from eventguard.web.console import error_page, parse_id, require, require_signed_in
from eventguard.web.incident_room import room_page
from eventguard.web.pages import page_language
from eventguard.web.room_actions import act

router = APIRouter(include_in_schema=False)


def parse_public_status(value: str) -> PublicStatus:
    try:
        return PublicStatus(value)
    except ValueError:
        raise InvalidInput(
            Message("Unknown public status {status}.", {"status": value}), code="invalid_public_status"
        ) from None


def _template(value: str) -> str | None:
    return value.strip() or None


def _status_page_changed(request: Request, db: Session) -> Callable[[Incident], None]:
    def after(incident: Incident) -> None:
        cache_of(request.app).invalidate(events.get(db=db, event_id=incident.event_id).slug)

    return after


@router.post("/incidents/{incident_id}/updates")
def draft_update(
    request: Request,
    incident_id: str,
    db: DbSession,
    clock: ClockDep,
    settings: SettingsDep,
    csrf_token: str = Form(""),
    status: FormText = "",
    template_id: FormText = "",
) -> Response:
    """Save a draft public update from the chosen template (responder and up)."""

    def work(principal: Principal, incident: Incident) -> None:
        spec = plans.get_active_plan(db=db, event_id=incident.event_id)
        draft = drafts.DraftInput(status=parse_public_status(status), template_id=_template(template_id))
        drafts.create_draft(
            db=db,
            incident=incident,
            spec=spec,
            draft=draft,
            base_url=settings.base_url,
            actor=principal.actor,
            clock=clock,
        )

    return act(request, db, clock, settings, csrf_token, incident_id, Role.responder, work)


@router.post("/incidents/{incident_id}/updates/preview")
def preview_update(
    request: Request,
    incident_id: str,
    db: DbSession,
    clock: ClockDep,
    settings: SettingsDep,
    csrf_token: str = Form(""),
    status: FormText = "",
    template_id: FormText = "",
) -> Response:
    """The room again with what such an update would say, zh-CN and en side by side (nothing saved)."""
    principal = require_signed_in(request, db, clock)
    lang = page_language(request)
    try:
        require(principal, Role.responder)
        csrf.verify(request, csrf_token, settings)
        incident = incidents.get(db=db, incident_id=parse_id(incident_id))
        spec = plans.get_active_plan(db=db, event_id=incident.event_id)
        draft = drafts.DraftInput(status=parse_public_status(status), template_id=_template(template_id))
        text = drafts.preview(db=db, incident=incident, spec=spec, draft=draft, base_url=settings.base_url)
    except EventGuardError as exc:
        if exc.status_code in (403, 404):
            return error_page(request, exc.status_code, exc.render(lang))
        return room_page(
            request, db, clock, settings, principal, incident_id, exc.render(lang), exc.status_code
        )
    preview = {"title": text.title, "body": text.body}
    return room_page(request, db, clock, settings, principal, incident_id, preview=preview)


def _incident_of_update(db: Session, update_id: str) -> str:
    """The incident (as a path id) an update belongs to: the room it is changed from."""
    try:
        return str(drafts.get(db=db, update_id=parse_id(update_id)).incident_id)
    except NotFound:
        return "0"  # the room answers 404


UpdateWork = Callable[[Principal, Incident, PublicUpdate], object]


def _on_update(
    request: Request,
    db: Session,
    clock: ClockDep,
    settings: SettingsDep,
    csrf_token: str,
    update_id: str,
    minimum: Role,
    work: UpdateWork,
    after: Callable[[Incident], None] | None = None,
) -> Response:
    incident_id = _incident_of_update(db, update_id)

    def locked(principal: Principal, incident: Incident) -> None:
        # Incident first (act locks it), then the update: the API's order, so no deadlock.
        update = drafts.get(db=db, update_id=parse_id(update_id), for_update=True)
        work(principal, incident, update)

    return act(request, db, clock, settings, csrf_token, incident_id, minimum, locked, after)


@router.post("/public-updates/{update_id}/edit")
def edit_update(
    request: Request,
    update_id: str,
    db: DbSession,
    clock: ClockDep,
    settings: SettingsDep,
    csrf_token: str = Form(""),
    status: FormText = "",
    title_zh: FormText = "",
    title_en: FormText = "",
    body_zh: FormText = "",
    body_en: FormText = "",
) -> Response:
    """Change a draft: its public status, and its text in both languages when it was changed (then
    it counts as written by hand). A draft waiting for approval goes back to draft."""

    def work(principal: Principal, incident: Incident, update: PublicUpdate) -> object:
        spec = plans.get_active_plan(db=db, event_id=incident.event_id)
        title = {"zh-CN": title_zh, "en": title_en}
        body = {"zh-CN": body_zh, "en": body_en}
        changed = title != dict(update.title) or body != dict(update.body)

        draft = drafts.DraftInput(
            status=parse_public_status(status) if status else None,
            title=title if changed else None,
            body=body if changed else None,
        )
        return drafts.edit(
            db=db,
            update=update,
            incident=incident,
            spec=spec,
            draft=draft,
            base_url=settings.base_url,
            actor=principal.actor,
            clock=clock,
        )

    return _on_update(request, db, clock, settings, csrf_token, update_id, Role.responder, work)


@router.post("/public-updates/{update_id}/{step}")
def update_step(
    request: Request,
    update_id: str,
    step: str,
    db: DbSession,
    clock: ClockDep,
    settings: SettingsDep,
    csrf_token: str = Form(""),
) -> Response:
    """``publish`` (commander: asks for approval on approval levels), ``approve`` (a second
    commander: publishes), ``discard`` (responder and up)."""
    steps: dict[str, tuple[Role, Callable[..., object]]] = {
        "publish": (Role.commander, approval.publish),
        "approve": (Role.commander, approval.approve),
        "discard": (Role.responder, approval.discard),
    }
    minimum, function = steps.get(step, (Role.responder, _unknown(step)))

    def work(principal: Principal, incident: Incident, update: PublicUpdate) -> object:
        return function(db=db, update=update, incident=incident, actor=principal.actor, clock=clock)

    after = _status_page_changed(request, db)
    return _on_update(request, db, clock, settings, csrf_token, update_id, minimum, work, after)


def _unknown(step: str) -> Callable[..., object]:
    def refuse(**_kwargs: object) -> object:
        raise NotFound(Message("Unknown action {action}.", {"action": step}), code="unknown_action")

    return refuse


@router.post("/incidents/{incident_id}/backups/{backup_id}/{switch}")
def switch_backup(
    request: Request,
    incident_id: str,
    backup_id: str,
    switch: str,
    db: DbSession,
    clock: ClockDep,
    settings: SettingsDep,
    csrf_token: str = Form(""),
) -> Response:
    """``activate`` or ``deactivate`` a backup plan for the incident (responder and up)."""

    def work(principal: Principal, incident: Incident) -> None:
        function = {"activate": backups.activate, "deactivate": backups.deactivate}.get(switch)
        if function is None:
            raise NotFound(Message("Unknown action {action}.", {"action": switch}), code="unknown_action")
        spec = plans.get_active_plan(db=db, event_id=incident.event_id)
        function(
            db=db,
            incident=incident,
            spec=spec,
            backup_id=backup_id,
            base_url=settings.base_url,
            actor=principal.actor,
            clock=clock,
        )

    after = _status_page_changed(request, db)
    return act(request, db, clock, settings, csrf_token, incident_id, Role.responder, work, after)
