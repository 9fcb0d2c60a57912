from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from eventguard.db.base import Base, JSONType, UTCDateTime


class LegalSignoff(Base):
    """A legal or compliance item (user agreement, privacy policy …) signed off by the legal team;
    the newest one per item counts, a revoked one (``revoked_at``) no longer does."""

    __tablename__ = "readiness_signoffs"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    item: Mapped[str] = mapped_column(String(64))
    team: Mapped[str] = mapped_column(String(64))
    signed_by: Mapped[str] = mapped_column(String(120))
    signed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    note: Mapped[str | None] = mapped_column(Text, default=None)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)


class GoDecision(Base):
    """A go/no-go decision: who, when, the checklist as it was, and which items were waived and why."""

    __tablename__ = "readiness_decisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    decision: Mapped[str] = mapped_column(String(8))  # go | no_go
    decided_by: Mapped[str] = mapped_column(String(120))
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime())
    note: Mapped[str | None] = mapped_column(Text, default=None)
    waived: Mapped[list[dict[str, str]]] = mapped_column(JSONType, default=list)
    checklist: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
