"""Chat apps (encrypted credentials), war rooms, what is posted to them, who a platform user is, and
the callback nonces already seen (replays are refused)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from eventguard.db.base import Base, JSONType, UTCDateTime


class ChatApp(Base):
    """One platform app of an event: its public id, its secrets and its access token (both
    encrypted with the secret key, never answered by any GET) and the API base URL."""

    __tablename__ = "chat_apps"
    __table_args__ = (UniqueConstraint("event_id", "platform"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    platform: Mapped[str] = mapped_column(String(16))  # slack | feishu | dingtalk | wecom
    app_id: Mapped[str] = mapped_column(
        String(200)
    )  # Slack app id, Feishu app_id, DingTalk appkey, WeCom corpid
    base_url: Mapped[str] = mapped_column(String(500))
    secrets: Mapped[str] = mapped_column(Text)  # Fernet token of a JSON object
    settings: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)  # non-secret options
    token: Mapped[str | None] = mapped_column(Text, default=None)  # Fernet token of the access token
    token_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_by: Mapped[str] = mapped_column(String(120))


class WarRoom(Base):
    """The group chat of one incident on one platform: ``pending`` until the worker created it."""

    __tablename__ = "war_rooms"
    __table_args__ = (
        UniqueConstraint("incident_id", "platform"),
        Index("ix_war_rooms_status_due", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"))
    platform: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))  # pending | open | failed
    name: Mapped[str] = mapped_column(String(200))
    chat_id: Mapped[str | None] = mapped_column(String(200), default=None, index=True)
    link: Mapped[str | None] = mapped_column(String(500), default=None)
    members: Mapped[list[str]] = mapped_column(JSONType, default=list)  # platform user ids in the room
    people: Mapped[list[str]] = mapped_column(JSONType, default=list)  # plan person ids invited (or queued)
    last_entry_id: Mapped[int] = mapped_column(default=0)  # the timeline mirrored up to here
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(String(500), default=None)
    requested_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)


class WarRoomPost(Base):
    """One thing to do in a room (post the card, post a timeline entry, invite people), retried
    with backoff by the worker; ``key`` makes each one happen once."""

    __tablename__ = "war_room_posts"
    __table_args__ = (
        UniqueConstraint("war_room_id", "key"),
        Index("ix_war_room_posts_status_due", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    war_room_id: Mapped[int] = mapped_column(ForeignKey("war_rooms.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(64))  # card | entry:<id> | invite:<n>
    kind: Mapped[str] = mapped_column(String(16))  # card | entry | invite
    payload: Mapped[dict[str, Any]] = mapped_column(JSONType)
    status: Mapped[str] = mapped_column(String(16))  # pending | sent | failed
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(String(500), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)


class ChatIdentity(Base):
    """A platform user id that is this EventGuard user (commands from chat act as that user)."""

    __tablename__ = "chat_identities"
    __table_args__ = (UniqueConstraint("platform", "external_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    platform: Mapped[str] = mapped_column(String(16))
    external_id: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_by: Mapped[str] = mapped_column(String(120))


class ChatNonce(Base):
    """A callback already accepted (its signature or nonce): the same one again is a replay."""

    __tablename__ = "chat_nonces"
    __table_args__ = (UniqueConstraint("platform", "nonce"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    platform: Mapped[str] = mapped_column(String(16))
    nonce: Mapped[str] = mapped_column(String(128))
    seen_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
