"""Bearer token secrets, their stored hash, and how scopes cap the role a token acts with.

A secret looks like ``eg_<prefix>_<secret>``: ``prefix`` (8 hex digits) is stored in clear to find
the row and to let people recognise a token in lists; the rest is 256 random bits.
"""

from __future__ import annotations

import enum
import hashlib
import hmac
import re
import secrets
from collections.abc import Iterable
from datetime import timedelta

from eventguard.auth.models import Role, TokenKind
from eventguard.errors import Forbidden, InvalidInput
from eventguard.i18n import Message

# A console session expires after this long without use, and in any case this long after login.
SESSION_IDLE_TIMEOUT = timedelta(hours=12)
SESSION_MAX_AGE = timedelta(days=7)
# ``last_used_at`` (and a session's sliding expiry) is written at most this often, not on every request.
TOUCH_INTERVAL = timedelta(minutes=1)

_SECRET_RE = re.compile(r"^eg_(?P<prefix>[0-9a-f]{8})_[A-Za-z0-9_-]{43}$")


class Scope(enum.StrEnum):
    """What an API token may do: its role is the user's role capped by the widest scope it holds."""

    read = "read"
    write = "write"
    admin = "admin"


# The highest role a scope lets a token act with.
SCOPE_CAPS: dict[Scope, Role] = {
    Scope.read: Role.viewer,
    Scope.write: Role.commander,
    Scope.admin: Role.admin,
}
# The lowest role that may grant a scope: a scope may not carry more than its grantor holds.
SCOPE_GRANTORS: dict[Scope, Role] = {
    Scope.read: Role.viewer,
    Scope.write: Role.responder,
    Scope.admin: Role.admin,
}


def generate_secret() -> tuple[str, str]:
    """A new ``(prefix, secret)``; the secret is shown once and never stored."""
    prefix = secrets.token_hex(4)
    return prefix, f"eg_{prefix}_{secrets.token_urlsafe(32)}"


def hash_secret(secret: str) -> str:
    """SHA-256 hex of the secret.

    A fast hash is right here, unlike for passwords: the secret carries 256 random bits, so there is
    nothing to guess a dictionary against and slowing each guess down buys nothing, while a slow
    hash would cost every API request tens of milliseconds."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def prefix_of(secret: str) -> str | None:
    """The lookup prefix of a well-formed secret, or None for anything else."""
    match = _SECRET_RE.match(secret)
    return match.group("prefix") if match else None


def hash_matches(stored_hash: str, secret: str) -> bool:
    """Constant-time comparison, so response timing does not leak how much of a hash matched."""
    return hmac.compare_digest(stored_hash, hash_secret(secret))


def parse_scopes(values: Iterable[str]) -> list[Scope]:
    """Known scopes, de-duplicated in their canonical order; InvalidInput for an unknown or no scope."""
    wanted = set(values)
    unknown = sorted(wanted - {scope.value for scope in Scope})
    if unknown:
        raise InvalidInput(
            Message("Unknown token scope: {scopes}.", {"scopes": ", ".join(unknown)}),
            code="unknown_scope",
            details={"unknown": unknown, "allowed": [scope.value for scope in Scope]},
        )
    if not wanted:
        raise InvalidInput(Message("A token needs at least one scope."), code="no_scope")
    return [scope for scope in Scope if scope.value in wanted]


def check_grantable(scopes: Iterable[Scope], grantor_role: Role) -> None:
    """Forbidden if a scope needs a higher role than the grantor's (effective) role."""
    too_wide = [scope.value for scope in scopes if SCOPE_GRANTORS[scope].rank > grantor_role.rank]
    if too_wide:
        raise Forbidden(
            Message("Your role may not grant the scope {scopes}.", {"scopes": ", ".join(too_wide)}),
            code="scope_exceeds_role",
            details={"scopes": too_wide, "role": grantor_role.value},
        )


def effective_role(user_role: Role, kind: str, scopes: Iterable[str]) -> Role:
    """The role a token acts with: the user's role, capped by the widest scope of an API token."""
    if kind == TokenKind.session:
        return user_role
    caps = [SCOPE_CAPS[Scope(value)] for value in scopes if value in Scope.__members__]
    if not caps:  # cannot be made through the service; fail towards the least privilege
        return Role.viewer
    cap = max(caps, key=lambda role: role.rank)
    return min(user_role, cap, key=lambda role: role.rank)
