"""The readiness gate in the console: every item with a link to fix it, legal sign-offs, a test
message to each channel, and the go/no-go decision (who, when, which items were waived and why)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from eventguard.auth.models import Role
from eventguard.deps import ClockDep, DbSession, SettingsDep
from eventguard.errors import EventGuardError, InvalidInput
from eventguard.i18n import Message
from eventguard.inputs import CleanStr, FormText
from eventguard.notify import channel_admin
from eventguard.readiness import checks, gate, service, signoffs
from eventguard.readiness.api import signer_teams
from eventguard.web import csrf
from eventguard.web.console import SignedIn, error_page, local_time, may
from eventguard.web.pages import page_language, render
from eventguard.web.prepare_common import act, event_and_plan

router = APIRouter(include_in_schema=False)
GROUP_TITLES = {
    "notify": "Notification targets",
    "scenarios": "Runbooks and backup plans",
    "backups": "Backup plan switch-overs",
    "legal": "Legal and compliance",
    "risks": "Risks",
    "oncall": "On-call coverage",
    "probes": "Probes",
}


@router.get("/events/{slug}/readiness", response_class=HTMLResponse)
def readiness_page(
    request: Request, slug: str, db: DbSession, clock: ClockDep, settings: SettingsDep, principal: SignedIn
) -> Response:
    lang = page_language(request)
    try:
        event, spec = event_and_plan(db, slug)
    except EventGuardError as exc:
        return error_page(request, exc.status_code, exc.render(lang))
    found = service.report(db=db, event_id=event.id, spec=spec, now=clock.now())
    items = [item.render(lang) for item in found.items]
    groups: dict[str, list[dict[str, Any]]] = {}
    for item in items:
        groups.setdefault(item["group"], []).append(item)
    legal = checks.legal_team(spec)
    mine = signer_teams(principal, spec)
    token = csrf.FormToken(request, settings)
    context = {
        "user": principal.user,
        "event": event,
        "spec": spec,
        "report": found,
        "groups": groups,
        "group_titles": GROUP_TITLES,
        "failing": [item for item in items if not item["ok"]],
        "signed": signoffs.current(db=db, event_id=event.id),
        "legal_team": legal,
        "can_sign": legal is not None and may(principal, Role.responder) and (mine is None or legal in mine),
        "can_decide": may(principal, Role.commander),
        "channels": channel_admin.list_channels(db=db, event=event),
        "tested": channel_admin.last_test_delivered(db=db, event_id=event.id),
        "decisions": service.decisions(db=db, event_id=event.id),
        "live_without_go": gate.live_without_go(db, event_id=event.id, spec=spec, clock=clock),
        "error": request.query_params.get("error"),
        "sent": request.query_params.get("sent"),
        "csrf": token.value,
        "local_time": lambda moment: local_time(moment, spec.event.timezone),
    }
    return token.bind(render(request, "prepare/readiness.html", context))


@router.post("/events/{slug}/readiness/legal/{item}")
def sign_page(
    request: Request,
    slug: str,
    item: str,
    db: DbSession,
    clock: ClockDep,
    settings: SettingsDep,
    csrf_token: str = Form(""),
    note: FormText = "",
    revoke: FormText = "",
) -> Response:
    """Sign a legal item for the legal team (its members, or an admin); a commander may revoke."""

    def work(principal: Any, event: Any, spec: Any) -> None:
        if revoke:
            if not may(principal, Role.commander):
                raise InvalidInput(Message("Your role does not allow this action."), code="role_required")
            signoffs.revoke(db=db, event_id=event.id, item=item, actor=principal.actor, clock=clock)
            return
        signoffs.sign(
            db=db,
            event_id=event.id,
            spec=spec,
            item=item,
            team=checks.legal_team(spec),
            person_teams=signer_teams(principal, spec),
            note=note or None,
            actor=principal.actor,
            clock=clock,
        )

    return act(
        request,
        db,
        clock,
        settings,
        csrf_token,
        Role.responder,
        f"/events/{slug}/readiness#legal",
        work,
        slug,
    )


@router.post("/events/{slug}/readiness/test/{channel_id}")
def test_page(
    request: Request,
    slug: str,
    channel_id: str,
    db: DbSession,
    clock: ClockDep,
    settings: SettingsDep,
    csrf_token: str = Form(""),
) -> Response:
    """Send a test message to one channel (commander and up); delivered, it satisfies its readiness rule."""

    def work(principal: Any, event: Any, spec: Any) -> str:
        channel_admin.send_test_message(
            db=db,
            event=event,
            channel_id=channel_id,
            sender_name=principal.user.display_name,
            language=principal.language,
            actor=principal.actor,
            clock=clock,
        )
        return f"/events/{slug}/readiness?sent={channel_id}#channels"

    return act(
        request,
        db,
        clock,
        settings,
        csrf_token,
        Role.commander,
        f"/events/{slug}/readiness#channels",
        work,
        slug,
    )


@router.post("/events/{slug}/readiness/decision")
def decision_page(
    request: Request,
    slug: str,
    db: DbSession,
    clock: ClockDep,
    settings: SettingsDep,
    csrf_token: str = Form(""),
    decision: FormText = "",
    note: FormText = "",
    item: list[CleanStr] = Form(default=[]),
    reason: list[CleanStr] = Form(default=[]),
) -> Response:
    """Record go or no-go; a failing item is waived when its reason field is filled in (``item`` and
    ``reason`` come in pairs, one per failing item)."""

    def work(principal: Any, event: Any, spec: Any) -> None:
        if decision not in ("go", "no_go"):
            raise InvalidInput(Message("Choose go or no-go."), code="invalid_decision")
        waivers = {key: text for key, text in zip(item, reason, strict=False) if text.strip()}
        service.decide(
            db=db,
            event_id=event.id,
            spec=spec,
            decision=decision,  # type: ignore[arg-type]
            waive=waivers,
            note=note or None,
            actor=principal.actor,
            clock=clock,
        )

    return act(
        request,
        db,
        clock,
        settings,
        csrf_token,
        Role.commander,
        f"/events/{slug}/readiness#decision",
        work,
        slug,
    )
