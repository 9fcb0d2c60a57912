"""Administration of each event (admin only): alert integrations, notification channels with their
last error and a test message, and the on-call schedules of the next seven days."""

from __future__ import annotations

from datetime import timedelta
from functools import partial
from typing import Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from eventguard.alerts import integrations
from eventguard.auth.deps import Principal
from eventguard.clock import Clock
from eventguard.config import Settings
from eventguard.deps import ClockDep, DbSession, SettingsDep
from eventguard.events import service as events
from eventguard.inputs import FormText
from eventguard.notify import channel_admin
from eventguard.oncall import service as oncall
from eventguard.plans import service as plans
from eventguard.plugins import alert_formats
from eventguard.web.admin_accounts import admin_gate, admin_post, admin_render
from eventguard.web.console import local_time, parse_id
from eventguard.web.pages import page_language

router = APIRouter(include_in_schema=False)

CALENDAR_DAYS = 7


def endpoint(kind: str) -> str:
    return (
        "/api/v1/integrations/pagerduty/v2/enqueue" if kind == "pagerduty" else f"/api/v1/integrations/{kind}"
    )


def _integrations_page(
    request: Request,
    db: Session,
    settings: Settings,
    principal: Principal,
    error: str | None,
    token: str = "",
) -> Response:
    rows = []
    for event in events.list_events(db=db):
        for item in integrations.list_for_event(db=db, event_id=event.id):
            rows.append({"event": event, "item": item, "url": settings.base_url + endpoint(item.kind)})
    context = {
        "user": principal.user,
        "rows": rows,
        "events": events.list_events(db=db),
        "kinds": sorted(alert_formats()),
        "base_url": settings.base_url,
        "error": error,
        "token": token,
    }
    return admin_render(request, settings, "admin_integrations.html", context)


@router.get("/admin/integrations", response_class=HTMLResponse)
def integrations_list(request: Request, db: DbSession, clock: ClockDep, settings: SettingsDep) -> Response:
    """Every alert integration with its endpoint URL and an example ``curl``."""
    principal = admin_gate(request, db, clock)
    return _integrations_page(request, db, settings, principal, None)


@router.post("/admin/integrations/create", response_class=HTMLResponse)
def integrations_create(
    request: Request,
    db: DbSession,
    clock: ClockDep,
    settings: SettingsDep,
    csrf_token: str = Form(""),
    event: FormText = "",
    name: FormText = "",
    kind: FormText = "",
) -> Response:
    """Create an integration; its token is shown on this answer only."""

    def work(principal: Principal) -> Response:
        found = events.get_by_slug(db=db, slug=event)
        _item, token = integrations.create(
            db=db, event=found, name=name, kind=kind, actor=principal.actor, clock=clock
        )
        db.commit()
        return _integrations_page(request, db, settings, principal, None, token)

    page = partial(_integrations_page, request, db, settings)
    return admin_post(request, db, clock, settings, csrf_token, work, page)


@router.post("/admin/integrations/{integration_id}/revoke")
def integrations_revoke(
    request: Request,
    integration_id: str,
    db: DbSession,
    clock: ClockDep,
    settings: SettingsDep,
    csrf_token: str = Form(""),
) -> Response:
    """Revoke an integration's token: its sender is refused from now on."""

    def work(principal: Principal) -> Response:
        number = parse_id(integration_id)
        integrations.revoke(db=db, integration_id=number, actor=principal.actor, clock=clock)
        return RedirectResponse("/admin/integrations", status_code=303)

    page = partial(_integrations_page, request, db, settings)
    return admin_post(request, db, clock, settings, csrf_token, work, page)


def _channels_page(
    request: Request, db: Session, settings: Settings, principal: Principal, error: str | None
) -> Response:
    sections = [
        {"event": event, "channels": channel_admin.list_channels(db=db, event=event)}
        for event in events.list_events(db=db)
    ]
    context = {"user": principal.user, "sections": sections, "error": error, "local_time": local_time}
    return admin_render(request, settings, "admin_channels.html", context)


@router.get("/admin/channels", response_class=HTMLResponse)
def channels(request: Request, db: DbSession, clock: ClockDep, settings: SettingsDep) -> Response:
    """Every plan channel with its last success and last error."""
    principal = admin_gate(request, db, clock)
    return _channels_page(request, db, settings, principal, None)


@router.post("/admin/channels/{slug}/{channel_id}/test")
def channel_test(
    request: Request,
    slug: str,
    channel_id: str,
    db: DbSession,
    clock: ClockDep,
    settings: SettingsDep,
    csrf_token: str = Form(""),
) -> Response:
    """Queue a test message to the channel (its outcome shows here within seconds)."""

    def work(principal: Principal) -> Response:
        channel_admin.send_test_message(
            db=db,
            event=events.get_by_slug(db=db, slug=slug),
            channel_id=channel_id,
            sender_name=principal.user.display_name,
            language=principal.language,
            actor=principal.actor,
            clock=clock,
        )
        return RedirectResponse("/admin/channels?sent=" + channel_id, status_code=303)

    page = partial(_channels_page, request, db, settings)
    return admin_post(request, db, clock, settings, csrf_token, work, page)


def _calendar(db: Session, clock: Clock, lang: str) -> list[dict[str, Any]]:
    start = clock.now().replace(minute=0, second=0, microsecond=0)
    end = start + timedelta(days=CALENDAR_DAYS)
    found = []
    for event in events.list_events(db=db):
        spec = plans.get_active_plan(db=db, event_id=event.id)
        names = {person.id: person.name for person in spec.people}
        for schedule in spec.schedules:
            shifts = oncall.schedule_shifts(
                db=db, event_id=event.id, spec=spec, schedule_id=schedule.id, start=start, end=end
            )
            found.append(
                {
                    "event": event,
                    "schedule": schedule,
                    "name": schedule.name.get(lang),
                    "shifts": shifts,
                    "names": names,
                }
            )
    return found


@router.get("/admin/oncall", response_class=HTMLResponse)
def oncall_calendar(request: Request, db: DbSession, clock: ClockDep, settings: SettingsDep) -> Response:
    """The shifts of every schedule over the next seven days, in the event's time zone."""
    principal = admin_gate(request, db, clock)
    context = {
        "user": principal.user,
        "calendar": _calendar(db, clock, page_language(request)),
        "local_time": local_time,
        "days": CALENDAR_DAYS,
    }
    return admin_render(request, settings, "admin_oncall.html", context)
