"""Console pages: sign-in, sign-out and the overview of events and open incidents."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from eventguard.app import LANGUAGE_COOKIE, request_language
from eventguard.auth import service as auth
from eventguard.auth.deps import SESSION_COOKIE, Principal
from eventguard.deps import ClockDep, DbSession, SettingsDep
from eventguard.errors import EventGuardError
from eventguard.events import service as events
from eventguard.i18n import t
from eventguard.incidents import queries
from eventguard.logs import request_id_var
from eventguard.plans import service as plans
from eventguard.web import csrf

router = APIRouter(include_in_schema=False)
templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))


def render(request: Request, name: str, context: dict[str, Any], status_code: int = 200) -> HTMLResponse:
    lang = request_language(request)

    def translate(msgid: str, **params: Any) -> str:
        return t(msgid, lang, **params)

    response = templates.TemplateResponse(
        request, name, {"lang": lang, "t": translate, **context}, status_code=status_code
    )
    if "lang" in request.query_params:  # remember the reader's choice
        response.set_cookie(LANGUAGE_COOKIE, lang, max_age=365 * 86400, samesite="lax", path="/")
    return response


def principal_from_cookie(request: Request, db: DbSession, clock: ClockDep) -> Principal | None:
    secret = request.cookies.get(SESSION_COOKIE)
    if not secret:
        return None
    try:
        return auth.authenticate_token(db=db, secret=secret, clock=clock, request_id=request_id_var.get())
    except EventGuardError:
        return None


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, settings: SettingsDep) -> Response:
    """The sign-in form."""
    token = csrf.FormToken(request, settings)
    return token.bind(render(request, "login.html", {"error": None, "csrf": token.value}))


@router.post("/login", response_class=HTMLResponse)
def login_submit(
    request: Request,
    db: DbSession,
    clock: ClockDep,
    settings: SettingsDep,
    username: str = Form(""),
    password: str = Form(""),
    totp_code: str = Form(""),
    csrf_token: str = Form(""),
) -> Response:
    """Check the form and open a console session (the same rules and lock-out as the API)."""
    csrf.verify(request, csrf_token, settings)
    try:
        _user, secret = auth.login(
            db=db,
            username=username,
            password=password,
            totp_code=totp_code or None,
            clock=clock,
            request_id=request_id_var.get(),
        )
    except EventGuardError as exc:
        db.commit()  # a failed attempt counts towards the lock-out
        token = csrf.FormToken(request, settings)
        context = {"error": exc.render(request_language(request)), "csrf": token.value, "username": username}
        return token.bind(render(request, "login.html", context, exc.status_code))
    db.commit()
    response = RedirectResponse("/", status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        secret,
        httponly=True,
        samesite="lax",
        path="/",
        secure=settings.base_url.lower().startswith("https://"),
    )
    return response


@router.post("/logout")
def logout(request: Request, db: DbSession, clock: ClockDep) -> Response:
    """End the console session."""
    principal = principal_from_cookie(request, db, clock)
    if principal is not None:
        auth.logout(db=db, principal=principal, clock=clock)
        db.commit()
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/", response_class=HTMLResponse)
def overview(request: Request, db: DbSession, clock: ClockDep) -> Response:
    """Events with their phase, and every open incident by level."""
    principal = principal_from_cookie(request, db, clock)
    if principal is None:
        return RedirectResponse("/login", status_code=303)
    if principal.totp_enrolment_only:
        return RedirectResponse("/account/two-factor", status_code=303)
    rows = []
    for event in events.list_events(db=db):
        spec = plans.get_active_plan(db=db, event_id=event.id)
        open_incidents, _total = queries.list_incidents(db=db, event_id=event.id, open_only=True, limit=100)
        rows.append(
            {
                "event": event,
                "spec": spec,
                "phase": plans.current_phase(spec=spec, at=clock.now()),
                "incidents": open_incidents,
            }
        )
    return render(request, "overview.html", {"user": principal.user, "rows": rows, "now": clock.now()})
