"""Participant messages (kept ``content_watch.retention``), their review in the moderation queue,
marked senders, and whether each of the watch's alerts is firing."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from eventguard.db.base import Base, UTCDateTime

PENDING, APPROVED, HIDDEN = "pending", "approved", "hidden"


class WatchMessage(Base):
    """One pushed message. ``review`` is None unless it was queued for moderation (a word hit or a
    flood); ``reasons`` lists why (``word``, ``sender_flood``, ``duplicate``, ``overall_flood``)."""

    __tablename__ = "watch_messages"
    __table_args__ = (
        Index("ix_watch_messages_event_received", "event_id", "received_at"),
        Index("ix_watch_messages_event_sender", "event_id", "sender", "received_at"),
        Index("ix_watch_messages_event_review", "event_id", "review"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    external_id: Mapped[str | None] = mapped_column(String(128), default=None)
    channel: Mapped[str] = mapped_column(String(32))  # chat, comment, qa
    sender: Mapped[str] = mapped_column(String(128))
    text: Mapped[str] = mapped_column(Text)
    digest: Mapped[str] = mapped_column(String(32))  # of the normalized text: duplicates
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime())
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())
    words: Mapped[str] = mapped_column(Text, default="")  # matched words, "\n"-separated
    reasons: Mapped[str] = mapped_column(String(120), default="")
    review: Mapped[str | None] = mapped_column(String(16), default=None)
    reviewed_by: Mapped[str | None] = mapped_column(String(120), default=None)
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)


class WatchSender(Base):
    """A sender a moderator marked (muted, reported …); its next messages are queued at once."""

    __tablename__ = "watch_senders"
    __table_args__ = (UniqueConstraint("event_id", "sender"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    sender: Mapped[str] = mapped_column(String(128))
    marked_by: Mapped[str] = mapped_column(String(120))
    marked_at: Mapped[datetime] = mapped_column(UTCDateTime())
    note: Mapped[str] = mapped_column(String(500), default="")


class WatchSignal(Base):
    """The watch's alert of one kind (``content``, ``flood``) for an event: firing or not."""

    __tablename__ = "watch_signals"
    __table_args__ = (UniqueConstraint("event_id", "signal"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    signal: Mapped[str] = mapped_column(String(16))
    firing: Mapped[bool] = mapped_column(default=False)
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    count: Mapped[int] = mapped_column(default=0)  # hits in the window when it last changed
