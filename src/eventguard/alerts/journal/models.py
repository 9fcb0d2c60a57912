"""One journal row per accepted intake request, exactly as received."""

from __future__ import annotations

from datetime import datetime
from typing import cast

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, LargeBinary, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column

from eventguard.db.base import Base, UTCDateTime

PENDING, DONE, PARKED = "pending", "done", "parked"


class JournalEntry(Base):
    """An accepted request: durable before its 2xx, turned into alerts and incidents by the
    processor, which marks it ``done`` in the same transaction as its effects (or ``parked`` with
    the error when processing it fails, so that it does not block the rows behind it)."""

    __tablename__ = "intake_journal"
    __table_args__ = (Index("ix_intake_journal_state_event", "state", "event_id", "id"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    integration_id: Mapped[int | None] = mapped_column(
        ForeignKey("integrations.id", ondelete="SET NULL"), default=None
    )
    kind: Mapped[str] = mapped_column(String(32))  # the alert format that reads ``body``
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())
    body: Mapped[bytes] = mapped_column(LargeBinary)
    alert_count: Mapped[int] = mapped_column(default=0)
    state: Mapped[str] = mapped_column(String(16), default=PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    batch_id: Mapped[int | None] = mapped_column(default=None)  # the alert batch it became
    error: Mapped[str | None] = mapped_column(Text, default=None)


journal_table = cast(Table, JournalEntry.__table__)  # for Core statements over many rows
