"""Administration of accounts (admin only): users with their roles, and API tokens."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from eventguard.auth import service as auth
from eventguard.auth.deps import Principal
from eventguard.auth.models import Role
from eventguard.clock import Clock
from eventguard.config import Settings
from eventguard.deps import ClockDep, DbSession, SettingsDep
from eventguard.errors import AnswerInstead, EventGuardError, InvalidInput
from eventguard.i18n import Message
from eventguard.inputs import FormText
from eventguard.web import csrf
from eventguard.web.console import error_page, parse_id, require, require_signed_in
from eventguard.web.pages import page_language, render

router = APIRouter(include_in_schema=False)


def admin_gate(request: Request, db: Session, clock: Clock) -> Principal:
    """The signed-in admin; else the answer to give instead (sign in, or a 403 page) is raised."""
    principal = require_signed_in(request, db, clock)
    try:
        require(principal, Role.admin)
    except EventGuardError as exc:
        raise AnswerInstead(error_page(request, 403, exc.render(page_language(request)))) from None
    return principal


def admin_render(
    request: Request, settings: Settings, name: str, context: dict[str, Any], status_code: int = 200
) -> Response:
    token = csrf.FormToken(request, settings)
    return token.bind(render(request, name, {**context, "csrf": token.value}, status_code))


def parse_role(value: str) -> Role:
    try:
        return Role(value)
    except ValueError:
        raise InvalidInput(Message("Unknown role {role}.", {"role": value}), code="invalid_role") from None


def admin_post(
    request: Request,
    db: Session,
    clock: Clock,
    settings: Settings,
    csrf_token: str,
    work: Callable[[Principal], Response | None],
    page: Callable[[Principal, str], Response],
) -> Response:
    """Check the admin and the form token, run ``work``, commit; errors re-render ``page`` with them."""
    principal = admin_gate(request, db, clock)
    try:
        csrf.verify(request, csrf_token, settings)
        answer = work(principal)
        db.commit()
    except EventGuardError as exc:
        db.rollback()
        if exc.status_code == 403:
            return error_page(request, 403, exc.render(page_language(request)))
        failed = page(principal, exc.render(page_language(request)))
        failed.status_code = exc.status_code
        return failed
    return answer or RedirectResponse(request.url.path.rsplit("/", 1)[0] or "/", status_code=303)


def _users_page(
    request: Request, db: Session, settings: Settings, principal: Principal, error: str | None
) -> Response:
    context = {"user": principal.user, "users": auth.list_users(db=db), "roles": list(Role), "error": error}
    return admin_render(request, settings, "admin_users.html", context)


@router.get("/admin/users", response_class=HTMLResponse)
def users(request: Request, db: DbSession, clock: ClockDep, settings: SettingsDep) -> Response:
    """Every user with their role; forms to add a user and change a role."""
    principal = admin_gate(request, db, clock)
    return _users_page(request, db, settings, principal, None)


@router.post("/admin/users/create")
def create_user(
    request: Request,
    db: DbSession,
    clock: ClockDep,
    settings: SettingsDep,
    csrf_token: str = Form(""),
    username: FormText = "",
    display_name: FormText = "",
    password: str = Form(""),
    role: FormText = "",
) -> Response:
    """Add a user (the password rules of the API apply)."""

    def work(principal: Principal) -> None:
        auth.create_user(
            db=db,
            username=username,
            password=password,
            role=parse_role(role),
            actor=principal.actor,
            clock=clock,
            display_name=display_name or None,
        )

    page = partial(_users_page, request, db, settings)
    return admin_post(request, db, clock, settings, csrf_token, work, page)


@router.post("/admin/users/{user_id}/role")
def change_role(
    request: Request,
    user_id: str,
    db: DbSession,
    clock: ClockDep,
    settings: SettingsDep,
    csrf_token: str = Form(""),
    role: FormText = "",
) -> Response:
    """Change a user's role (the last admin stays an admin)."""

    def work(principal: Principal) -> Response:
        target = auth.get_user(db=db, user_id=parse_id(user_id))
        auth.update_user(db=db, user=target, actor=principal.actor, clock=clock, role=parse_role(role))
        return RedirectResponse("/admin/users", status_code=303)

    page = partial(_users_page, request, db, settings)
    return admin_post(request, db, clock, settings, csrf_token, work, page)


def _tokens_page(
    request: Request,
    db: Session,
    settings: Settings,
    principal: Principal,
    error: str | None,
    secret: str = "",
) -> Response:
    people = {user.id: user.username for user in auth.list_users(db=db)}
    context = {
        "user": principal.user,
        "tokens": auth.list_tokens(db=db, include_revoked=True),
        "people": people,
        "error": error,
        "secret": secret,
    }
    return admin_render(request, settings, "admin_tokens.html", context)


@router.get("/admin/tokens", response_class=HTMLResponse)
def tokens(request: Request, db: DbSession, clock: ClockDep, settings: SettingsDep) -> Response:
    """Every API token (never its secret), with a form to create one and buttons to revoke."""
    principal = admin_gate(request, db, clock)
    return _tokens_page(request, db, settings, principal, None)


@router.post("/admin/tokens/create", response_class=HTMLResponse)
def create_token(
    request: Request,
    db: DbSession,
    clock: ClockDep,
    settings: SettingsDep,
    csrf_token: str = Form(""),
    username: FormText = "",
    name: FormText = "",
    scope: FormText = "read",
) -> Response:
    """Create a token for a user; its secret is shown on this answer only."""

    def work(principal: Principal) -> Response:
        owner = auth.get_user_by_username(db=db, username=username)
        if owner is None:
            raise InvalidInput(Message("No user {username}.", {"username": username}), code="unknown_user")
        if not name.strip():
            raise InvalidInput(Message("A token needs a name."), code="name_required")
        _token, secret = auth.create_token(
            db=db, user=owner, name=name.strip(), scopes=[scope], actor=principal.actor, clock=clock
        )
        db.commit()
        return _tokens_page(request, db, settings, principal, None, secret)

    page = partial(_tokens_page, request, db, settings)
    return admin_post(request, db, clock, settings, csrf_token, work, page)


@router.post("/admin/tokens/{token_id}/revoke")
def revoke_token(
    request: Request,
    token_id: str,
    db: DbSession,
    clock: ClockDep,
    settings: SettingsDep,
    csrf_token: str = Form(""),
) -> Response:
    """Revoke a token: it stops working at once."""

    def work(principal: Principal) -> Response:
        token = auth.get_token(db=db, token_id=parse_id(token_id))
        auth.revoke_token(db=db, token=token, actor=principal.actor, clock=clock)
        return RedirectResponse("/admin/tokens", status_code=303)

    page = partial(_tokens_page, request, db, settings)
    return admin_post(request, db, clock, settings, csrf_token, work, page)
