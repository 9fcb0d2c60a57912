"""Users with their role tier, bearer tokens (API and console sessions) and login throttles."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Enum, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from eventguard.db.base import Base, JSONType, UTCDateTime


class Role(enum.StrEnum):
    """Role tiers, lowest first; each tier may do everything the tiers below it may."""

    viewer = "viewer"
    responder = "responder"
    commander = "commander"
    admin = "admin"

    @property
    def rank(self) -> int:
        return list(Role).index(self)


class TokenKind(enum.StrEnum):
    """``api``: long-lived, made by hand for scripts; ``session``: made by a login, sliding expiry."""

    api = "api"
    session = "session"


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)  # lower-case
    display_name: Mapped[str] = mapped_column(String(120))
    email: Mapped[str | None] = mapped_column(String(254), default=None)
    password_hash: Mapped[str] = mapped_column(String(255))  # argon2id
    role: Mapped[Role] = mapped_column(Enum(Role, native_enum=False, length=16))
    language: Mapped[str] = mapped_column(String(8), default="zh-CN")
    # Set when enrolment begins; used for login only once ``totp_enabled`` (a code was confirmed).
    totp_secret: Mapped[str | None] = mapped_column(String(64), default=None)
    totp_enabled: Mapped[bool] = mapped_column(default=False)
    # The TOTP time step of the last accepted code: a code is refused unless its step is newer (replay).
    totp_last_counter: Mapped[int | None] = mapped_column(default=None)
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)


class ApiToken(Base):
    """A bearer token. Only a SHA-256 of the secret is stored; the secret is shown once."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(16), default=TokenKind.api.value)  # TokenKind
    prefix: Mapped[str] = mapped_column(String(16), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    scopes: Mapped[list[str]] = mapped_column(JSONType)  # empty for sessions (never capped)
    # A session of a user who must enrol in two-factor authentication first: good only for enrolment.
    totp_enrolment_only: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)


class LoginThrottle(Base):
    """Consecutive failed logins per username, whether or not such a user exists.

    Keyed by the name typed rather than by user, so a locked answer looks the same for an unknown
    name and an existing one and does not reveal which names are accounts."""

    __tablename__ = "login_throttles"

    username: Mapped[str] = mapped_column(String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(default=0)
    last_failure_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
