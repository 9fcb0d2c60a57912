"""HTTP API of the auth domain: login and the caller's own account, users (admin), and API tokens."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request, Response, status

from eventguard.auth import service
from eventguard.auth.deps import (
    SESSION_COOKIE,
    CurrentPrincipal,
    EnrollingPrincipal,
    Principal,
    require_role,
)
from eventguard.auth.models import ApiToken, Role, User
from eventguard.auth.schemas import (
    LoginIn,
    MeOut,
    PasswordChange,
    PasswordSet,
    SessionOut,
    TokenCreate,
    TokenCreated,
    TokenRead,
    TotpCode,
    TotpDisable,
    TotpEnrolmentOut,
    UserCreate,
    UserRead,
    UserUpdate,
)
from eventguard.deps import ClockDep, DbSession, SettingsDep
from eventguard.errors import EventGuardError, Forbidden, InvalidInput, NotFound
from eventguard.i18n import Message
from eventguard.inputs import Id
from eventguard.logs import request_id_var
from eventguard.openapi import errors

auth_router = APIRouter(prefix="/api/v1/auth", tags=["auth"])
users_router = APIRouter(prefix="/api/v1/users", tags=["users"])
tokens_router = APIRouter(prefix="/api/v1/tokens", tags=["tokens"])
Admin = Annotated[Principal, Depends(require_role(Role.admin))]


def _is_admin(principal: Principal) -> bool:
    return principal.role == Role.admin


def _refuse_read_only(principal: Principal) -> None:
    # A token holding only the read scope never changes anything, not even its owner's own settings.
    if not principal.is_session and set(principal.scopes) <= {"read"}:
        raise Forbidden(Message("A read-only token cannot change anything."), code="read_only_token")


def _require_session(principal: Principal) -> None:
    # Two-factor set-up is done by a person logged in, never by a script holding an API token.
    if not principal.is_session:
        raise Forbidden(Message("This needs a login session, not an API token."), code="session_required")


def _me(principal: Principal) -> MeOut:
    return MeOut(
        user=UserRead.model_validate(principal.user),
        role=principal.role,
        token_kind=principal.token_kind,
        scopes=list(principal.scopes),
        totp_enrollment_required=principal.totp_enrolment_only,
    )


@auth_router.post("/login", responses=errors(401, 429))
def login(
    body: LoginIn, request: Request, response: Response, db: DbSession, clock: ClockDep, settings: SettingsDep
) -> SessionOut:
    """Log in with username, password and, when two-factor is on, a TOTP code.

    Answers the session token and sets it as the HttpOnly ``eg_session`` cookie. 401
    ``invalid_credentials`` / ``totp_required`` / ``totp_invalid``; 429 ``login_locked``."""
    try:
        user, secret = service.login(
            db=db,
            username=body.username,
            password=body.password,
            totp_code=body.totp_code,
            clock=clock,
            request_id=request_id_var.get(),
            session_name=request.headers.get("user-agent", "") or "console",
        )
    except EventGuardError:
        db.commit()  # the failed attempt counts towards the lock-out even though we answer an error
        raise
    token = service.find_token(db=db, secret=secret)
    assert token is not None
    db.commit()
    response.set_cookie(
        SESSION_COOKIE,
        secret,
        httponly=True,
        samesite="lax",
        path="/",
        secure=settings.base_url.lower().startswith("https://"),
    )
    return SessionOut(
        token=secret,
        expires_at=token.expires_at,
        totp_enrollment_required=token.totp_enrolment_only,
        user=UserRead.model_validate(user),
    )


@auth_router.post("/logout", status_code=status.HTTP_204_NO_CONTENT)
def logout(principal: EnrollingPrincipal, response: Response, db: DbSession, clock: ClockDep) -> None:
    """End the current session and clear the cookie (an API token stays valid: revoke it instead)."""
    service.logout(db=db, principal=principal, clock=clock)
    db.commit()
    response.delete_cookie(SESSION_COOKIE, path="/")


@auth_router.get("/me")
def me(principal: EnrollingPrincipal) -> MeOut:
    """The caller: their user, effective role, token kind and scopes, and whether 2FA set-up is due."""
    return _me(principal)


@auth_router.post("/password", status_code=status.HTTP_204_NO_CONTENT)
def change_password(
    body: PasswordChange, principal: CurrentPrincipal, db: DbSession, clock: ClockDep
) -> None:
    """Change your own password (the current one is required). Your other sessions end."""
    _refuse_read_only(principal)
    service.change_password(
        db=db,
        user=principal.user,
        old_password=body.old_password,
        new_password=body.new_password,
        actor=principal.actor,
        clock=clock,
        keep_token_id=principal.token_id if principal.is_session else None,
    )
    db.commit()


@auth_router.post("/totp/enroll", responses=errors(409))
def totp_enroll(principal: EnrollingPrincipal, db: DbSession, clock: ClockDep) -> TotpEnrolmentOut:
    """Begin two-factor enrolment: a new secret and its ``otpauth://`` URI (QR code at ``totp/qr.png``)."""
    _require_session(principal)
    enrolment = service.totp_begin_enrolment(db=db, user=principal.user, actor=principal.actor, clock=clock)
    db.commit()
    return TotpEnrolmentOut(
        secret=enrolment.secret, otpauth_uri=enrolment.uri, qr_png_url=f"{auth_router.prefix}/totp/qr.png"
    )


@auth_router.get("/totp/qr.png", response_class=Response, responses={200: {"content": {"image/png": {}}}})
def totp_qr(principal: EnrollingPrincipal) -> Response:
    """The pending enrolment's provisioning URI as a PNG QR code (409 when none is pending)."""
    _require_session(principal)
    png = service.totp_qr_png(user=principal.user)
    return Response(content=png, media_type="image/png", headers={"Cache-Control": "no-store"})


@auth_router.post("/totp/confirm", responses=errors(409))
def totp_confirm(body: TotpCode, principal: EnrollingPrincipal, db: DbSession, clock: ClockDep) -> MeOut:
    """Confirm enrolment with a code from the authenticator; two-factor is on from now.

    A session limited to enrolment becomes a full session."""
    _require_session(principal)
    service.totp_confirm(
        db=db,
        user=principal.user,
        code=body.code,
        actor=principal.actor,
        clock=clock,
        session_token_id=principal.token_id,
    )
    db.commit()
    return _me(replace(principal, totp_enrolment_only=False))


@auth_router.post("/totp/disable", status_code=status.HTTP_204_NO_CONTENT, responses=errors(404, 409))
def totp_disable(body: TotpDisable, principal: CurrentPrincipal, db: DbSession, clock: ClockDep) -> None:
    """Turn two-factor off: your own with a valid code, or another user's as an admin."""
    if body.user_id is not None and body.user_id != principal.user.id:
        if not _is_admin(principal):
            raise _insufficient(Role.admin, principal)
        user = service.get_user(db=db, user_id=body.user_id)
        code = None
    else:
        _require_session(principal)
        if body.code is None:
            raise InvalidInput(Message("A two-factor code is required."), code="totp_required")
        user, code = principal.user, body.code
    service.totp_disable(db=db, user=user, code=code, actor=principal.actor, clock=clock)
    db.commit()


def _insufficient(minimum: Role, principal: Principal) -> Forbidden:
    return Forbidden(
        Message("This action needs the {role} role or above.", {"role": minimum.value}),
        code="insufficient_role",
        details={"required": minimum.value, "role": principal.role.value},
    )


@users_router.get("")
def list_users(_admin: Admin, db: DbSession) -> list[UserRead]:
    """Every user, by username (admin)."""
    return [UserRead.model_validate(user) for user in service.list_users(db=db)]


@users_router.post("", status_code=status.HTTP_201_CREATED, responses=errors(409))
def create_user(body: UserCreate, admin: Admin, db: DbSession, clock: ClockDep) -> UserRead:
    """Create a user with a role and an initial password (admin)."""
    user = service.create_user(
        db=db,
        username=body.username,
        password=body.password,
        role=body.role,
        actor=admin.actor,
        clock=clock,
        display_name=body.display_name,
        email=body.email,
        language=body.language,
    )
    db.commit()
    return UserRead.model_validate(user)


def _visible_user(db: DbSession, user_id: int, principal: Principal) -> User:
    if user_id != principal.user.id and not _is_admin(principal):
        raise _insufficient(Role.admin, principal)
    return service.get_user(db=db, user_id=user_id)


@users_router.get("/{user_id}", responses=errors(404))
def get_user(user_id: Id, principal: CurrentPrincipal, db: DbSession) -> UserRead:
    """One user: yourself, or anyone as an admin."""
    return UserRead.model_validate(_visible_user(db, user_id, principal))


@users_router.patch("/{user_id}", responses=errors(404, 409))
def update_user(
    user_id: Id, body: UserUpdate, principal: CurrentPrincipal, db: DbSession, clock: ClockDep
) -> UserRead:
    """Change a user. Yourself: display name, e-mail, language. An admin: anyone, and role and active."""
    user = _visible_user(db, user_id, principal)
    _refuse_read_only(principal)
    if not _is_admin(principal) and (body.role is not None or body.is_active is not None):
        raise _insufficient(Role.admin, principal)
    service.update_user(
        db=db,
        user=user,
        actor=principal.actor,
        clock=clock,
        role=body.role,
        is_active=body.is_active,
        display_name=body.display_name,
        language=body.language,
        email=body.email,
    )
    db.commit()
    return UserRead.model_validate(user)


@users_router.post("/{user_id}/password", status_code=status.HTTP_204_NO_CONTENT, responses=errors(404))
def set_password(user_id: Id, body: PasswordSet, admin: Admin, db: DbSession, clock: ClockDep) -> None:
    """Set a user's password without the old one (admin); ends their sessions and lifts a lock-out."""
    user = service.get_user(db=db, user_id=user_id)
    service.set_password(db=db, user=user, password=body.password, actor=admin.actor, clock=clock)
    db.commit()


def _token_owner(db: DbSession, user_id: int | None, principal: Principal) -> User:
    if user_id is None or user_id == principal.user.id:
        return principal.user
    return _visible_user(db, user_id, principal)


def _manageable_token(db: DbSession, token_id: int, principal: Principal) -> ApiToken:
    token = service.get_token(db=db, token_id=token_id)
    if token.user_id != principal.user.id and not _is_admin(principal):
        # Someone else's token is answered as absent, so ids do not reveal other users' tokens.
        raise NotFound(Message("No such token."), code="token_not_found", details={"token_id": token_id})
    return token


@tokens_router.get("", responses=errors(404))
def list_tokens(
    principal: CurrentPrincipal,
    db: DbSession,
    user_id: Annotated[Id | None, Query(description="Another user's tokens (admin only).")] = None,
    kind: Annotated[Literal["api", "session"], Query()] = "api",
    include_revoked: bool = False,
) -> list[TokenRead]:
    """Your tokens (or, as an admin, another user's), newest first. Secrets are never shown again."""
    owner = _token_owner(db, user_id, principal)
    found = service.list_tokens(db=db, user=owner, kind=kind, include_revoked=include_revoked)
    return [TokenRead.model_validate(token) for token in found]


@tokens_router.post("", status_code=status.HTTP_201_CREATED, responses=errors(404))
def create_token(
    body: TokenCreate, principal: CurrentPrincipal, db: DbSession, clock: ClockDep
) -> TokenCreated:
    """Create an API token; the secret is in this answer only. Scopes may not exceed your own role."""
    _refuse_read_only(principal)
    owner = _token_owner(db, body.user_id, principal)
    expires_at = body.expires_at
    if expires_at is None and body.expires_in_days is not None:
        expires_at = clock.now() + timedelta(days=body.expires_in_days)
    token, secret = service.create_token(
        db=db,
        user=owner,
        name=body.name,
        scopes=[scope.value for scope in body.scopes],
        actor=principal.actor,
        clock=clock,
        expires_at=expires_at,
        grantor_role=principal.role,
    )
    db.commit()
    return TokenCreated(token=TokenRead.model_validate(token), secret=secret)


@tokens_router.delete("/{token_id}", responses=errors(404))
def revoke_token(token_id: Id, principal: CurrentPrincipal, db: DbSession, clock: ClockDep) -> TokenRead:
    """Revoke one of your tokens (an admin: anyone's). It stops working at once."""
    token = _manageable_token(db, token_id, principal)
    service.revoke_token(db=db, token=token, actor=principal.actor, clock=clock)
    db.commit()
    return TokenRead.model_validate(token)


router = APIRouter()
router.include_router(auth_router)
router.include_router(users_router)
router.include_router(tokens_router)
