"""Who a caller is (``Principal``), apart from how it is found (``auth.deps``) so that the services
that make one (``auth.sessions``) need not import the FastAPI dependencies that use them."""

from __future__ import annotations

from dataclasses import dataclass

from eventguard.audit.service import Actor
from eventguard.auth.models import Role, TokenKind, User


@dataclass(frozen=True)
class Principal:
    user: User
    role: Role
    actor: Actor
    language: str
    token_id: int | None = None
    token_kind: str = TokenKind.api.value
    scopes: tuple[str, ...] = ()
    totp_enrolment_only: bool = False

    @property
    def is_session(self) -> bool:
        return self.token_kind == TokenKind.session
