"""Console pages of noise control: each event's silences and maintenance windows (list, create,
expire/delete as plain forms, role-checked, CSRF-checked, POST-redirect-GET), an index of them per
event, and the incident room's noise panel (``noise/_room.html``, included by the room)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from eventguard.auth.deps import Principal
from eventguard.auth.models import Role
from eventguard.clock import Clock
from eventguard.config import Settings
from eventguard.deps import ClockDep, DbSession, SettingsDep
from eventguard.errors import EventGuardError, InvalidInput
from eventguard.events import service as events
from eventguard.events.models import Event
from eventguard.i18n import Message
from eventguard.incidents.models import Incident
from eventguard.inputs import CleanStr, FormText
from eventguard.noise import maintenance, silencing
from eventguard.noise import service as noise
from eventguard.noise.matchers import Matcher, MatcherError
from eventguard.plans import service as plans
from eventguard.plans.types import parse_duration
from eventguard.web import csrf
from eventguard.web.console import SignedIn, error_page, local_time, may, parse_id, require
from eventguard.web.incident_room import room_panel
from eventguard.web.pages import page_language, render

router = APIRouter(include_in_schema=False)


@room_panel("noise")
def room_noise(request: Request, db: Session, incident: Incident) -> dict[str, Any]:
    """What the room's noise panels show (the hold and suppressions; flapping and reminders)."""
    view = noise.incident_noise(db=db, incident_id=incident.id)
    return {
        "hold": view.hold,
        "suppressions": view.suppressions,
        "flapping": [
            {
                "fingerprint": f.fingerprint,
                "flapping": f.flapping,
                "history": [{"at": datetime.fromisoformat(h.at), "status": h.status} for h in f.history],
            }
            for f in view.flapping
        ],
        "reminders": {
            "sent": view.reminders.sent,
            "last_at": datetime.fromisoformat(view.reminders.last_at) if view.reminders.last_at else None,
        },
    }


def _event(db: Session, slug: str) -> Event:
    return events.get_by_slug(db=db, slug=slug)


def _matchers(text: str) -> list[dict[str, str]]:
    lines = [line.strip() for line in text.replace(",", "\n").splitlines() if line.strip()]
    try:
        return [Matcher.parse(line).as_dict() for line in lines]
    except MatcherError as exc:
        raise InvalidInput(
            Message("Bad matchers: {problem}.", {"problem": str(exc)}), code="invalid_matchers"
        ) from None


def _duration(text: str) -> Any:
    try:
        return parse_duration(text.strip())
    except ValueError:
        raise InvalidInput(
            Message("Bad duration {value}: use 30m, 2h, 1d …", {"value": text}), code="invalid_duration"
        ) from None


def _local(text: str, timezone: str) -> datetime | None:
    if not text.strip():
        return None
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise InvalidInput(
            Message("Bad time {value}: use ISO 8601 with an offset.", {"value": text}), code="invalid_time"
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=ZoneInfo(timezone))


def _texts(zh: str, en: str) -> dict[str, str] | None:
    """A public text in both languages from two form fields (one filled is used for both)."""
    zh, en = zh.strip(), en.strip()
    if not zh and not en:
        return None
    return {"zh-CN": zh or en, "en": en or zh}


def _shown(matchers: list[dict[str, str]]) -> str:
    return ", ".join(f'{m["name"]}{m["op"]}"{m["value"]}"' for m in matchers)


def _silences_page(
    request: Request,
    db: Session,
    clock: Clock,
    settings: Settings,
    principal: Principal,
    slug: str,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    event = _event(db, slug)
    now = clock.now()
    rows = [
        {
            **silencing.silence_view(s, now),
            "shown": _shown(s.matchers),
            "ends_local": local_time(s.ends_at, event.timezone),
            "starts_local": local_time(s.starts_at, event.timezone),
        }
        for s in silencing.list_silences(db=db, event_id=event.id, include_expired=True, at=now)
    ]
    rows.sort(key=lambda r: (r["state"] == "expired", r["ends_at"]))
    token = csrf.FormToken(request, settings)
    context = {
        "user": principal.user,
        "event": event,
        "rows": rows[:200],
        "csrf": token.value,
        "error": error,
        "can_respond": may(principal, Role.responder),
        "tz": event.timezone,
    }
    return token.bind(render(request, "noise/silences.html", context, status_code))


def _windows_page(
    request: Request,
    db: Session,
    clock: Clock,
    settings: Settings,
    principal: Principal,
    slug: str,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    event = _event(db, slug)
    now = clock.now()
    spec = plans.get_active_plan(db=db, event_id=event.id)
    views = [maintenance.plan_window_view(item, rec, now) for item, rec in maintenance.plan_windows(spec)]
    views += [maintenance.window_view(w, now) for w in maintenance.list_windows(db=db, event_id=event.id)]
    for view in views:
        view["shown"] = _shown(view["matchers"])
        view["next_local"] = (
            local_time(datetime.fromisoformat(view["next_start"]), event.timezone)
            if view["next_start"]
            else ""
        )
        view["minutes"] = view["duration_seconds"] // 60
    names = {function.id: function.name.get(page_language(request)) for function in spec.core_functions}
    for view in views:
        posted = view.get("status_page")
        view["posted"] = (
            {
                "components": [names.get(c, c) for c in posted["components"]],
                "hours_ahead": round(posted["announce_before_seconds"] / 3600, 1),
                "notify": posted["notify"],
            }
            if posted
            else None
        )
    token = csrf.FormToken(request, settings)
    context = {
        "user": principal.user,
        "event": event,
        "rows": views,
        "csrf": token.value,
        "error": error,
        "can_command": may(principal, Role.commander),
        "tz": event.timezone,
        "functions": [(function.id, names[function.id]) for function in spec.core_functions],
    }
    return token.bind(render(request, "noise/windows.html", context, status_code))


def _guarded(
    request: Request,
    db: Session,
    clock: Clock,
    settings: Settings,
    principal: Principal,
    slug: str,
    csrf_token: str,
    minimum: Role,
    work: Callable[[Event], None],
    page: Callable[..., Response],
    back: str,
) -> Response:
    lang = page_language(request)
    try:
        require(principal, minimum)
        csrf.verify(request, csrf_token, settings)
        work(_event(db, slug))
        db.commit()
    except EventGuardError as exc:
        db.rollback()
        if exc.status_code in (403, 404):
            return error_page(request, exc.status_code, exc.render(lang))
        return page(request, db, clock, settings, principal, slug, exc.render(lang), exc.status_code)
    return RedirectResponse(back, status_code=303)


@router.get("/noise", response_class=HTMLResponse)
def noise_index(request: Request, db: DbSession, clock: ClockDep, principal: SignedIn) -> Response:
    """Every event with its active silences and the maintenance windows on now."""
    now = clock.now()
    rows = []
    for event in events.list_events(db=db):
        spec = plans.get_active_plan(db=db, event_id=event.id)
        windows = [
            w
            for w in maintenance.list_windows(db=db, event_id=event.id)
            if maintenance.window_view(w, now)["active"]
        ]
        planned = [i for i, rec in maintenance.plan_windows(spec) if rec.covering(now) is not None]
        silences = [
            s
            for s in silencing.list_silences(db=db, event_id=event.id, at=now)
            if silencing.silence_state(s, now) == "active"
        ]
        rows.append({"event": event, "silences": len(silences), "windows": len(windows) + len(planned)})
    return render(request, "noise/index.html", {"user": principal.user, "rows": rows})


@router.get("/events/{slug}/silences", response_class=HTMLResponse)
def silences(
    request: Request, slug: str, db: DbSession, clock: ClockDep, settings: SettingsDep, principal: SignedIn
) -> Response:
    """The event's silences: active, pending and expired, with a form to add one."""
    try:
        return _silences_page(request, db, clock, settings, principal, slug)
    except EventGuardError as exc:
        return error_page(request, exc.status_code, exc.render(page_language(request)))


@router.post("/events/{slug}/silences/create", response_class=HTMLResponse)
def silence_create(
    request: Request,
    slug: str,
    db: DbSession,
    clock: ClockDep,
    settings: SettingsDep,
    principal: SignedIn,
    csrf_token: str = Form(""),
    matchers: FormText = "",
    duration: FormText = "2h",
    starts: FormText = "",
    comment: FormText = "",
) -> Response:
    def work(event: Event) -> None:
        begins = _local(starts, event.timezone) or clock.now()
        if not comment.strip():
            raise InvalidInput(
                Message("Say why: the comment is shown on every incident it holds."), code="comment_missing"
            )
        silencing.create_silence(
            db=db,
            event_id=event.id,
            matchers=_matchers(matchers),
            starts_at=begins,
            ends_at=begins + _duration(duration),
            comment=comment.strip(),
            actor=principal.actor,
            source="console",
            clock=clock,
        )

    return _guarded(
        request,
        db,
        clock,
        settings,
        principal,
        slug,
        csrf_token,
        Role.responder,
        work,
        _silences_page,
        f"/events/{slug}/silences",
    )


@router.post("/events/{slug}/silences/{silence_id}/expire", response_class=HTMLResponse)
def silence_expire(
    request: Request,
    slug: str,
    silence_id: str,
    db: DbSession,
    clock: ClockDep,
    settings: SettingsDep,
    principal: SignedIn,
    csrf_token: str = Form(""),
) -> Response:
    def work(event: Event) -> None:
        silencing.expire_silence(
            db=db, event_id=event.id, silence_id=parse_id(silence_id), actor=principal.actor, clock=clock
        )

    return _guarded(
        request,
        db,
        clock,
        settings,
        principal,
        slug,
        csrf_token,
        Role.responder,
        work,
        _silences_page,
        f"/events/{slug}/silences",
    )


@router.get("/events/{slug}/maintenance", response_class=HTMLResponse)
def windows(
    request: Request, slug: str, db: DbSession, clock: ClockDep, settings: SettingsDep, principal: SignedIn
) -> Response:
    """The plan's and the ad-hoc maintenance windows, whether each is on now and its next start."""
    try:
        return _windows_page(request, db, clock, settings, principal, slug)
    except EventGuardError as exc:
        return error_page(request, exc.status_code, exc.render(page_language(request)))


@router.post("/events/{slug}/maintenance/create", response_class=HTMLResponse)
def window_create(
    request: Request,
    slug: str,
    db: DbSession,
    clock: ClockDep,
    settings: SettingsDep,
    principal: SignedIn,
    csrf_token: str = Form(""),
    name: FormText = "",
    matchers: FormText = "",
    starts: FormText = "",
    duration: FormText = "",
    repeat: FormText = "once",
    until: FormText = "",
    post: FormText = "",
    components: list[CleanStr] = Form(default=[]),
    title_zh: FormText = "",
    title_en: FormText = "",
    body_zh: FormText = "",
    body_en: FormText = "",
    announce_before: FormText = "24h",
    notify: FormText = "",
) -> Response:
    """A maintenance window; with "post on the status page" each occurrence becomes the status
    page's scheduled maintenance (components, public title and text, how long ahead, subscribers)."""

    def work(event: Event) -> None:
        if repeat not in ("once", "daily", "weekly"):
            raise InvalidInput(Message("Repeat is once, daily or weekly."), code="invalid_repeat")
        begins = _local(starts, event.timezone)
        if begins is None or not name.strip():
            raise InvalidInput(
                Message("A maintenance window needs a name and a start."), code="window_incomplete"
            )
        spec = plans.get_active_plan(db=db, event_id=event.id)
        status_page = None
        if post:
            status_page = {
                "components": [c for c in components if c],
                "title": _texts(title_zh, title_en),
                "body": _texts(body_zh, body_en),
                "announce_before": _duration(announce_before or "0m"),
                "notify": bool(notify),
            }
        maintenance.create_window(
            db=db,
            event_id=event.id,
            timezone=event.timezone,
            name=name.strip(),
            matchers=_matchers(matchers),
            starts_at=begins,
            duration=_duration(duration),
            repeat=repeat,  # type: ignore[arg-type]
            until=_local(until, event.timezone),
            actor=principal.actor,
            clock=clock,
            status_page=status_page,
            known_components=[function.id for function in spec.core_functions],
        )

    return _guarded(
        request,
        db,
        clock,
        settings,
        principal,
        slug,
        csrf_token,
        Role.commander,
        work,
        _windows_page,
        f"/events/{slug}/maintenance",
    )


@router.post("/events/{slug}/maintenance/{window_id}/delete", response_class=HTMLResponse)
def window_delete(
    request: Request,
    slug: str,
    window_id: str,
    db: DbSession,
    clock: ClockDep,
    settings: SettingsDep,
    principal: SignedIn,
    csrf_token: str = Form(""),
) -> Response:
    def work(event: Event) -> None:
        maintenance.delete_window(
            db=db, event_id=event.id, window_id=parse_id(window_id), actor=principal.actor, clock=clock
        )

    return _guarded(
        request,
        db,
        clock,
        settings,
        principal,
        slug,
        csrf_token,
        Role.commander,
        work,
        _windows_page,
        f"/events/{slug}/maintenance",
    )
