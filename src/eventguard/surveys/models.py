from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from eventguard.db.base import Base, UTCDateTime


class SurveyResponse(Base):
    """One participant's answer: no personal data. A form answer keeps only a keyed hash of the
    sender's IP address (for the per-IP limit), never the address itself."""

    __tablename__ = "survey_responses"
    __table_args__ = (
        Index("ix_survey_responses_event", "event_id", "submitted_at"),
        Index("ix_survey_responses_ip", "ip_hash", "submitted_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    source: Mapped[str] = mapped_column(String(16))  # csv | form
    rating: Mapped[int | None] = mapped_column(default=None)
    text: Mapped[str] = mapped_column(Text)
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ip_hash: Mapped[str | None] = mapped_column(String(64), default=None)
    batch: Mapped[str | None] = mapped_column(String(64), default=None)  # the import it came in
