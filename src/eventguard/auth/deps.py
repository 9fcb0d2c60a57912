"""Who is calling, and may they? FastAPI dependencies used by every router.

INTERFACE (kept stable for other domains):
- ``Principal``: ``user`` (User), ``role`` (effective Role: the user's role capped by the token's scopes),
  ``actor`` (``audit.service.Actor`` for audit entries), ``language``.
- ``require_role(Role.x)``: a dependency returning the Principal, 401 without credentials, 403 if below x.
- ``CurrentPrincipal``: any authenticated caller (viewer and above).

Credentials: ``Authorization: Bearer <token>`` (API token or session) or the console's ``eg_session``
cookie. A session limited to two-factor enrolment passes only ``EnrollingPrincipal`` (the enrolment
routes); everywhere else it answers 403 ``totp_enrollment_required``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from eventguard.auth.models import Role
from eventguard.auth.principal import Principal as Principal  # the INTERFACE above
from eventguard.clock import Clock
from eventguard.deps import ClockDep, DbSession, SettingsDep, after_request, get_database
from eventguard.errors import Forbidden, Unauthorized
from eventguard.i18n import Message
from eventguard.logs import request_id_var
from eventguard.openapi import authenticates

SESSION_COOKIE = "eg_session"
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def _credentials(request: Request) -> tuple[str, bool] | None:
    """The secret presented, and whether it came from the cookie (rather than a header)."""
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip(), False
    cookie = request.cookies.get(SESSION_COOKIE)
    return (cookie, True) if cookie else None


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def _refuse_cross_origin_cookie_writes(request: Request, base_url: str) -> None:
    # Browsers attach the cookie by themselves; SameSite=Lax keeps other sites out, and this keeps
    # out other origins of the same site (e.g. a sibling sub-domain) from writing with it.
    origin = request.headers.get("origin")
    if request.method not in _SAFE_METHODS and origin and _origin(origin) != _origin(base_url):
        raise Forbidden(
            Message("Cross-origin requests may not use the session cookie."), code="cross_origin_request"
        )


def authenticate(request: Request, db: Session, clock: Clock, secret: str) -> Principal:
    """The Principal of ``secret`` (``auth.service.authenticate_token``). Only reads: the token's
    use (when one is due) is written after the request, by this process's ``usage.TokenUses`` of
    the app's database. The request must have a ``DbSession`` (which runs ``after_request``)."""
    from eventguard.auth import service, usage

    uses = usage.for_database(get_database(request))
    principal = service.authenticate_token(
        db=db, secret=secret, clock=clock, request_id=request_id_var.get(), uses=uses
    )
    if principal.token_id is not None and uses.latest(principal.token_id) is not None:
        after_request(request, uses.flush)  # written once the request is answered
    return principal


@authenticates  # routes that depend on it declare 401 and 403 in the OpenAPI document
def get_enrolling_principal(
    request: Request, db: DbSession, clock: ClockDep, settings: SettingsDep
) -> Principal:
    """Authenticate the request, letting through sessions limited to two-factor enrolment."""
    presented = _credentials(request)
    if presented is None:
        raise Unauthorized(Message("Authentication required."), code="unauthenticated")
    secret, from_cookie = presented
    if from_cookie:
        _refuse_cross_origin_cookie_writes(request, settings.base_url)
    return authenticate(request, db, clock, secret)


EnrollingPrincipal = Annotated[Principal, Depends(get_enrolling_principal)]


def get_principal(principal: EnrollingPrincipal) -> Principal:
    """Authenticate the request by bearer token (API or session) or the console's session cookie."""
    if principal.totp_enrolment_only:
        raise Forbidden(
            Message("Set up two-factor authentication before using EventGuard."),
            code="totp_enrollment_required",
        )
    return principal


CurrentPrincipal = Annotated[Principal, Depends(get_principal)]


def require_role(minimum: Role) -> Callable[..., Principal]:
    """A dependency that lets through callers whose effective role is ``minimum`` or above."""

    def _check(principal: CurrentPrincipal) -> Principal:
        if principal.role.rank < minimum.rank:
            raise Forbidden(
                Message("This action needs the {role} role or above.", {"role": minimum.value}),
                code="insufficient_role",
                details={"required": minimum.value, "role": principal.role.value},
            )
        return principal

    return _check
