"""Request and response bodies of the users, tokens and login API."""

from __future__ import annotations

from datetime import datetime

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from eventguard.auth.models import Role
from eventguard.auth.tokens import Scope
from eventguard.i18n import Language
from eventguard.inputs import Id, SafeStr


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class UserRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    username: str
    display_name: str
    email: str | None
    role: Role
    language: str
    is_active: bool
    totp_enabled: bool
    created_at: datetime
    last_login_at: datetime | None


class UserCreate(_In):
    username: SafeStr = Field(min_length=2, max_length=64)
    password: str = Field(min_length=1, max_length=1024)
    role: Role
    display_name: SafeStr | None = Field(default=None, max_length=120)
    email: SafeStr | None = Field(default=None, max_length=254)
    language: Language = "zh-CN"


class UserUpdate(_In):
    """Fields left out stay as they are. Anyone may change their own display name, e-mail and
    language; only an admin may change role and ``is_active``, or another user."""

    display_name: SafeStr | None = Field(default=None, max_length=120)
    email: SafeStr | None = Field(default=None, max_length=254, description='"" clears the address.')
    language: Language | None = None
    role: Role | None = None
    is_active: bool | None = None


class LoginIn(_In):
    username: SafeStr = Field(min_length=1, max_length=256)
    password: str = Field(min_length=1, max_length=1024)
    totp_code: SafeStr | None = Field(default=None, max_length=16)


class SessionOut(BaseModel):
    token: str = Field(description="The session secret, shown once; also set as the eg_session cookie.")
    token_type: str = "bearer"
    expires_at: datetime | None
    totp_enrollment_required: bool = Field(
        description="The session only allows two-factor enrolment until a code is confirmed."
    )
    user: UserRead


class MeOut(BaseModel):
    user: UserRead
    role: Role = Field(description="The effective role: the user's role capped by the token's scopes.")
    token_kind: str
    scopes: list[str]
    totp_enrollment_required: bool


class PasswordChange(_In):
    old_password: str = Field(min_length=1, max_length=1024)
    new_password: str = Field(min_length=1, max_length=1024)


class PasswordSet(_In):
    password: str = Field(min_length=1, max_length=1024)


class TotpEnrolmentOut(BaseModel):
    secret: str = Field(description="Base32 secret, for typing into an authenticator by hand.")
    otpauth_uri: str
    qr_png_url: str


class TotpCode(_In):
    code: SafeStr = Field(min_length=1, max_length=16)


class TotpDisable(_In):
    code: SafeStr | None = Field(default=None, max_length=16, description="Required when disabling your own.")
    user_id: Id | None = Field(default=None, description="Another user's (admin only).")


class TokenCreate(_In):
    name: SafeStr = Field(min_length=1, max_length=120)
    scopes: list[Scope] = Field(min_length=1)
    expires_at: AwareDatetime | None = None
    expires_in_days: int | None = Field(default=None, ge=1, le=3650)
    user_id: Id | None = Field(default=None, description="Another user's token (admin only).")


class TokenRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    user_id: int
    name: str
    kind: str
    prefix: str
    scopes: list[str]
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None
    revoked_at: datetime | None


class TokenCreated(BaseModel):
    token: TokenRead
    secret: str = Field(description="Shown once: only its hash is stored.")
