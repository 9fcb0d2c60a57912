"""Console pages: rendering, sign-in and sign-out."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from eventguard.auth import service as auth
from eventguard.auth.deps import SESSION_COOKIE, Principal, authenticate
from eventguard.deps import LANGUAGE_COOKIE, ClockDep, DbSession, SettingsDep, request_language
from eventguard.errors import EventGuardError
from eventguard.i18n import t
from eventguard.inputs import FormText
from eventguard.logs import request_id_var
from eventguard.web import csrf

router = APIRouter(include_in_schema=False)
templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))


def page_language(request: Request) -> str:
    """The request's language; a signed-in user without a language cookie gets their own language."""
    stored = getattr(request.state, "user_language", None)
    if stored and "lang" not in request.query_params and LANGUAGE_COOKIE not in request.cookies:
        return str(stored)
    return request_language(request)


# Enum values shown to people (roles, task states) read better in English as words than as keys.
ENUM_LABELS = {
    "tech_lead": "Tech lead",
    "ops_lead": "Ops lead",
    "comms": "Comms (PR)",
    "legal": "Legal",
    "scribe": "Scribe",
    "in_progress": "in progress",
}


def translator(lang: str) -> Callable[..., str]:
    """The templates' ``t``: a msgid (or an enum value) in ``lang``."""

    def translate(msgid: str, **params: Any) -> str:
        return t(ENUM_LABELS.get(msgid, msgid), lang, **params)

    return translate


def render(request: Request, name: str, context: dict[str, Any], status_code: int = 200) -> HTMLResponse:
    """A console page. A signed-in page (one with a ``user``) always has a form token: its sign-out
    form posts it (the page's own, when it made one for its forms)."""
    lang = page_language(request)
    translate = translator(lang)
    token = None
    if context.get("user") is not None and "csrf" not in context:
        token = csrf.FormToken(request, request.app.state.settings)
        context = {**context, "csrf": token.value}
    response = templates.TemplateResponse(
        request, name, {"lang": lang, "t": translate, **context}, status_code=status_code
    )
    if "lang" in request.query_params:  # remember the reader's choice
        response.set_cookie(LANGUAGE_COOKIE, lang, max_age=365 * 86400, samesite="lax", path="/")
    if token is not None:
        token.bind(response)
    return response


def principal_from_cookie(request: Request, db: DbSession, clock: ClockDep) -> Principal | None:
    secret = request.cookies.get(SESSION_COOKIE)
    if not secret:
        return None
    try:
        return authenticate(request, db, clock, secret)  # only reads (auth/usage.py)
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
    username: FormText = "",
    password: str = Form(""),
    totp_code: FormText = "",
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
        page = token.bind(render(request, "login.html", context, exc.status_code))
        if exc.retry_after is not None:  # locked out: when to try again
            page.headers["Retry-After"] = str(exc.retry_after)
        return page
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
def logout(
    request: Request, db: DbSession, clock: ClockDep, settings: SettingsDep, csrf_token: str = Form("")
) -> Response:
    """End the console session (the form's token checked: another site may not sign anyone out)."""
    try:
        csrf.verify(request, csrf_token, settings)
    except EventGuardError as exc:
        context = {"message": exc.render(page_language(request)), "status": exc.status_code}
        return render(request, "error.html", context, exc.status_code)
    principal = principal_from_cookie(request, db, clock)
    if principal is not None:
        auth.logout(db=db, principal=principal, clock=clock)
        db.commit()
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response
