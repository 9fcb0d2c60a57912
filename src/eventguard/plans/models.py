from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from eventguard.db.base import Base, JSONType, UTCDateTime


class PlanVersion(Base):
    """One applied plan: immutable, numbered per event, with its author and time."""

    __tablename__ = "plan_versions"
    __table_args__ = (UniqueConstraint("event_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    number: Mapped[int]
    source: Mapped[str] = mapped_column(Text)  # the YAML exactly as applied
    spec: Mapped[dict[str, Any]] = mapped_column(JSONType)  # the validated plan, normalised
    checksum: Mapped[str] = mapped_column(String(64))  # sha256 of the normalised spec
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), default=None)
    author_name: Mapped[str] = mapped_column(String(120))
    comment: Mapped[str | None] = mapped_column(Text, default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
