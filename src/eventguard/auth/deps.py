"""Who is calling, and may they? FastAPI dependencies used by every router.

INTERFACE (kept stable for other domains):
- ``Principal``: ``user`` (User), ``role`` (effective Role: the user's role capped by the token's scopes),
  ``actor`` (``audit.service.Actor`` for audit entries), ``language``.
- ``require_role(Role.x)``: a dependency returning the Principal, 401 without credentials, 403 if below x.
- ``CurrentPrincipal``: any authenticated caller (viewer and above).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from eventguard.audit.service import Actor
from eventguard.auth.models import Role, User
from eventguard.deps import ClockDep, DbSession
from eventguard.errors import Forbidden, Unauthorized


@dataclass(frozen=True)
class Principal:
    user: User
    role: Role
    actor: Actor
    language: str
    token_id: int | None = None


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return request.cookies.get("eg_session")


def get_principal(request: Request, db: DbSession, clock: ClockDep) -> Principal:
    """Authenticate the request by bearer token (API or session) or the console's session cookie."""
    from eventguard.auth import service

    secret = _bearer(request)
    if secret is None:
        raise Unauthorized("authentication required", code="unauthenticated")
    return service.authenticate_token(db=db, secret=secret, clock=clock, request_id=None)


CurrentPrincipal = Annotated[Principal, Depends(get_principal)]


def require_role(minimum: Role) -> Callable[..., Principal]:
    """A dependency that lets through callers whose effective role is ``minimum`` or above."""

    def _check(principal: CurrentPrincipal) -> Principal:
        if principal.role.rank < minimum.rank:
            raise Forbidden(
                f"this action needs the {minimum.value} role or above",
                code="insufficient_role",
                details={"required": minimum.value, "role": principal.role.value},
            )
        return principal

    return _check
