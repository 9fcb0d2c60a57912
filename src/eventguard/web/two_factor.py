"""Console two-factor enrolment: scan the QR code, confirm with a code (required by the plan for
admins and commanders before anything else works)."""

from __future__ import annotations

import base64

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from eventguard.auth import service as auth
from eventguard.auth.models import User
from eventguard.deps import ClockDep, DbSession, SettingsDep, get_database, request_language
from eventguard.errors import EventGuardError
from eventguard.inputs import FormText
from eventguard.web import csrf
from eventguard.web.pages import principal_from_cookie, render

router = APIRouter(include_in_schema=False)


def _page(request: Request, settings: SettingsDep, qr_png: bytes, secret: str, error: str | None) -> Response:
    token = csrf.FormToken(request, settings)
    context = {
        "qr": base64.b64encode(qr_png).decode("ascii"),
        "secret": secret,
        "error": error,
        "csrf": token.value,
    }
    return token.bind(render(request, "two_factor.html", context, 400 if error else 200))


@router.get("/account/two-factor", response_class=HTMLResponse)
def enrol_page(request: Request, db: DbSession, clock: ClockDep, settings: SettingsDep) -> Response:
    """Start (or restart) enrolment and show the QR code."""
    principal = principal_from_cookie(request, db, clock)
    if principal is None:
        return RedirectResponse("/login", status_code=303)
    if principal.user.totp_enabled:
        return RedirectResponse("/", status_code=303)
    # A write of its own: the GET's session only reads (on SQLite a read that starts writing is
    # refused while others write).
    with get_database(request).session(write=True) as writer:
        user = writer.get_one(User, principal.user.id)
        enrolment = auth.totp_begin_enrolment(db=writer, user=user, actor=principal.actor, clock=clock)
        writer.commit()
    return _page(request, settings, auth.totp_qr_png(user=user), enrolment.secret, None)


@router.post("/account/two-factor", response_class=HTMLResponse)
def enrol_confirm(
    request: Request,
    db: DbSession,
    clock: ClockDep,
    settings: SettingsDep,
    code: FormText = "",
    csrf_token: str = Form(""),
) -> Response:
    """Confirm the authenticator with one code; the session then works in full."""
    csrf.verify(request, csrf_token, settings)
    principal = principal_from_cookie(request, db, clock)
    if principal is None:
        return RedirectResponse("/login", status_code=303)
    try:
        auth.totp_confirm(
            db=db,
            user=principal.user,
            code=code.strip(),
            actor=principal.actor,
            clock=clock,
            session_token_id=principal.token_id,
        )
    except EventGuardError as exc:
        db.rollback()
        user = principal.user
        if user.totp_secret is None:
            return RedirectResponse("/account/two-factor", status_code=303)
        return _page(
            request,
            settings,
            auth.totp_qr_png(user=user),
            user.totp_secret,
            exc.render(request_language(request)),
        )
    db.commit()
    return RedirectResponse("/", status_code=303)
