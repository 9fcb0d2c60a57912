"""What every signed-in console page shares: who is asking, what they may do, how time reads."""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import partial
from typing import Annotated

from fastapi import Depends, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from eventguard.auth import service as auth
from eventguard.auth.deps import Principal
from eventguard.auth.models import Role, User
from eventguard.clock import Clock
from eventguard.db.writelock import WriteTurnTimeout
from eventguard.deps import ClockDep, DbSession, after_request, get_database
from eventguard.errors import AnswerInstead, EventGuardError, Forbidden
from eventguard.i18n import Message, normalize_language, t
from eventguard.logs import get_logger
from eventguard.web.pages import principal_from_cookie, render

log = get_logger("eventguard.web")


def signed_in(request: Request, db: Session, clock: Clock) -> Principal | Response:
    """The principal of the console session, or the redirect to sign in (or to enrol two-factor).

    A language picked with ``?lang=`` is stored as the user's language; without a language cookie
    the user's stored language is used."""
    principal = principal_from_cookie(request, db, clock)
    if principal is None:
        return RedirectResponse("/login", status_code=303)
    if principal.totp_enrolment_only:
        return RedirectResponse("/account/two-factor", status_code=303)
    picked = request.query_params.get("lang")
    language = principal.user.language
    if picked and normalize_language(picked) != language:
        language = normalize_language(picked)
        after_request(request, partial(_store_language, request, principal, language, clock))
    request.state.user_language = language
    return principal


def require_signed_in(request: Request, db: Session, clock: Clock) -> Principal:
    """``signed_in``'s principal; its redirect is raised (``AnswerInstead``) instead of returned."""
    principal = signed_in(request, db, clock)
    if isinstance(principal, Response):
        raise AnswerInstead(principal)
    return principal


def _signed_in_dependency(request: Request, db: DbSession, clock: ClockDep) -> Principal:
    return require_signed_in(request, db, clock)


SignedIn = Annotated[Principal, Depends(_signed_in_dependency)]
"""A console route's caller, signed in (else the redirect to sign in or to enrol two-factor)."""


def _store_language(request: Request, principal: Principal, language: str, clock: Clock) -> None:
    """Store the picked language as the user's, in a write transaction of its own once the page is
    answered and its session closed: the page's session only reads (on SQLite a read that starts
    writing is refused while others write), and a page that took a second pooled connection while
    holding its first could starve the pool under load. When it cannot be stored, the language
    cookie still keeps the reader's choice."""
    try:
        with get_database(request).session(write=True) as db:
            user = db.get_one(User, principal.user.id)
            auth.update_user(db=db, user=user, actor=principal.actor, clock=clock, language=language)
            db.commit()
    except (EventGuardError, SQLAlchemyError, WriteTurnTimeout) as exc:
        log.warning("language_not_stored", user_id=principal.user.id, error=repr(exc))


def parse_id(value: str) -> int:
    """A path id; anything but a plain number that fits a database integer is an id nothing has
    (so the answer is a 404 page, never a crash)."""
    return int(value) if value.isascii() and value.isdigit() and len(value) <= 9 else 0


def may(principal: Principal, minimum: Role) -> bool:
    return principal.role.rank >= minimum.rank


def require(principal: Principal, minimum: Role) -> None:
    """Forbidden unless the principal's role is at least ``minimum`` (checked on the server)."""
    if not may(principal, minimum):
        raise Forbidden(Message("Your role does not allow this action."), code="role_required")


def error_page(request: Request, status_code: int, message: str) -> Response:
    return render(request, "error.html", {"message": message, "status": status_code}, status_code)


def duration(delta: timedelta, lang: str) -> str:
    """A coarse, readable span: "2 d 3 h", "5 h 12 min", "4 min"."""
    minutes = max(0, int(delta.total_seconds() // 60))
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        return t("{days} d {hours} h", lang, days=days, hours=hours)
    if hours:
        return t("{hours} h {minutes} min", lang, hours=hours, minutes=mins)
    return t("{minutes} min", lang, minutes=mins)


def local_time(moment: datetime | None, timezone: str) -> str:
    if moment is None:
        return "—"
    from zoneinfo import ZoneInfo

    return moment.astimezone(ZoneInfo(timezone)).strftime("%Y-%m-%d %H:%M %Z")
