"""The auth domain's service: the one module other domains (and the web console) call.

Every function is keyword-only, takes the session as ``db``, flushes and never commits (callers
commit), and writes an audit entry for every change, with before/after views that never hold a
password hash, a token secret or hash, or a TOTP secret. The rules live in:

- ``accounts``: users and passwords;
- ``credentials``: API tokens and sessions at rest;
- ``sessions``: login with lock-out, logout, authenticating a bearer token;
- ``two_factor``: TOTP enrolment, confirmation and removal.
"""

from __future__ import annotations

from eventguard.auth.accounts import (
    change_password,
    create_user,
    get_user,
    get_user_by_username,
    list_users,
    set_password,
    update_user,
    user_view,
)
from eventguard.auth.credentials import create_token, get_token, list_tokens, revoke_token, token_view
from eventguard.auth.sessions import (
    LoginLocked,
    authenticate_token,
    find_token,
    lock_duration,
    login,
    logout,
    unlock_login,
)
from eventguard.auth.two_factor import (
    TotpEnrolment,
    pending_uri,
    totp_begin_enrolment,
    totp_confirm,
    totp_disable,
    totp_qr_png,
)

__all__ = [
    "LoginLocked",
    "TotpEnrolment",
    "authenticate_token",
    "change_password",
    "create_token",
    "create_user",
    "find_token",
    "get_token",
    "get_user",
    "get_user_by_username",
    "list_tokens",
    "list_users",
    "lock_duration",
    "login",
    "logout",
    "pending_uri",
    "revoke_token",
    "set_password",
    "token_view",
    "totp_begin_enrolment",
    "totp_confirm",
    "totp_disable",
    "totp_qr_png",
    "unlock_login",
    "update_user",
    "user_view",
]
