"""The chat apps of an event: credentials set by an admin (encrypted at rest, never read back), the
access token kept fresh (fetched again before it expires), and the calls' credentials."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.orm import Session

from eventguard.audit import service as audit
from eventguard.audit.service import Actor
from eventguard.chat import crypto
from eventguard.chat.models import ChatApp
from eventguard.chat.platforms import PLATFORMS, Credentials
from eventguard.clock import Clock
from eventguard.errors import InvalidInput, NotFound
from eventguard.i18n import Message

# Which secrets each platform's app needs (what an admin sets; never answered back).
REQUIRED_SECRETS: dict[str, tuple[str, ...]] = {
    "slack": ("bot_token", "signing_secret"),
    "feishu": ("app_secret", "verification_token"),
    "dingtalk": ("app_secret",),
    "wecom": ("corp_secret", "callback_token", "encoding_aes_key"),
}
OPTIONAL_SECRETS: dict[str, tuple[str, ...]] = {
    "slack": (),
    "feishu": ("encrypt_key",),
    "dingtalk": (),
    "wecom": (),
}
REFRESH_BEFORE = timedelta(minutes=5)  # a token this close to its expiry is fetched again


def check_platform(platform: str) -> str:
    if platform not in PLATFORMS:
        raise NotFound(
            Message(
                "Unknown chat platform {platform} (known: {known}).",
                {"platform": platform, "known": ", ".join(PLATFORMS)},
            ),
            code="unknown_chat_platform",
        )
    return platform


def get(*, db: Session, event_id: int, platform: str) -> ChatApp | None:
    return db.scalar(select(ChatApp).where(ChatApp.event_id == event_id, ChatApp.platform == platform))


def list_for_event(*, db: Session, event_id: int) -> Sequence[ChatApp]:
    return db.scalars(select(ChatApp).where(ChatApp.event_id == event_id).order_by(ChatApp.platform)).all()


def configure(
    *,
    db: Session,
    event_id: int,
    platform: str,
    app_id: str,
    secrets: dict[str, str],
    settings: dict[str, Any],
    base_url: str | None,
    secret_key: str,
    actor: Actor,
    clock: Clock,
) -> ChatApp:
    """Create or replace an event's app on ``platform`` (audited without its secrets). Secrets left
    out keep their stored value, so a base URL can change without typing the token again."""
    check_platform(platform)
    row = get(db=db, event_id=event_id, platform=platform)
    stored: dict[str, str] = crypto.unseal(secret_key, row.secrets) if row is not None else {}
    allowed = set(REQUIRED_SECRETS[platform]) | set(OPTIONAL_SECRETS[platform])
    unknown = sorted(set(secrets) - allowed)
    if unknown:
        raise InvalidInput(
            Message(
                "Unknown secrets for {platform}: {names}.",
                {"platform": platform, "names": ", ".join(unknown)},
            ),
            code="unknown_chat_secret",
        )
    merged = {**stored, **{name: value for name, value in secrets.items() if value}}
    missing = [name for name in REQUIRED_SECRETS[platform] if not merged.get(name)]
    if missing:
        raise InvalidInput(
            Message("The {platform} app needs {names}.", {"platform": platform, "names": ", ".join(missing)}),
            code="chat_secret_missing",
        )
    url = (base_url or (row.base_url if row else None) or PLATFORMS[platform].default_base_url).rstrip("/")
    if not url.startswith(("http://", "https://")):
        raise InvalidInput(Message("A base URL starts with http:// or https://."), code="invalid_base_url")
    now = clock.now()
    if row is None:
        row = ChatApp(event_id=event_id, platform=platform, created_at=now)
        db.add(row)
    row.app_id, row.base_url, row.settings = app_id, url, dict(settings)
    row.secrets = crypto.seal(secret_key, merged)
    row.token, row.token_expires_at = None, None  # new credentials: a new token
    row.updated_at, row.updated_by = now, actor.name
    db.flush()
    audit.record(
        db=db,
        actor=actor,
        action="chat.app_configured",
        target_type="chat_app",
        target_id=f"{event_id}/{platform}",
        after={"app_id": app_id, "base_url": url, "secrets": sorted(merged), "settings": dict(settings)},
        clock=clock,
    )
    return row


def credentials(row: ChatApp, secret_key: str) -> Credentials:
    """What a call needs, decrypted in memory."""
    token = crypto.unseal(secret_key, row.token) if row.token else None
    return Credentials(
        platform=row.platform,
        app_id=row.app_id,
        base_url=row.base_url,
        secrets=crypto.unseal(secret_key, row.secrets),
        settings=dict(row.settings or {}),
        token=str(token) if token else None,
        token_expires_at=row.token_expires_at,
    )


def fresh(creds: Credentials, http: httpx.Client, now: datetime) -> Credentials | None:
    """Credentials with a valid access token: a new one when there is none or it expires within
    ``REFRESH_BEFORE`` (returned, to be stored); None when the current one is good."""
    platform = PLATFORMS[creds.platform]
    if not platform.token_expires:
        return None
    if creds.token and creds.token_expires_at and creds.token_expires_at - REFRESH_BEFORE > now:
        return None
    fetched = platform.fetch_token(creds, http)
    if fetched is None:
        return None
    token, lifetime = fetched
    return Credentials(
        platform=creds.platform,
        app_id=creds.app_id,
        base_url=creds.base_url,
        secrets=creds.secrets,
        settings=creds.settings,
        token=token,
        token_expires_at=now + timedelta(seconds=lifetime),
    )


def store_token(*, db: Session, event_id: int, creds: Credentials, secret_key: str) -> None:
    row = get(db=db, event_id=event_id, platform=creds.platform)
    if row is not None and creds.token:
        row.token = crypto.seal(secret_key, creds.token)
        row.token_expires_at = creds.token_expires_at


def forget_token(*, db: Session, event_id: int, platform: str) -> None:
    """The platform refused the stored token (revoked, rotated): the next call fetches a new one."""
    row = get(db=db, event_id=event_id, platform=platform)
    if row is not None:
        row.token, row.token_expires_at = None, None
