from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from eventguard.db.base import Base, JSONType, UTCDateTime


class RiskEntry(Base):
    """One risk of an event's register. ``key`` is the plan's risk id (source ``plan``) or one made
    when the risk was added by hand (``manual``) or from a survey complaint (``survey``).

    ``plan_values`` holds the fields as the last applied plan gave them: applying a plan changes only
    the fields the plan changed since (docs/plan-format.md#risks)."""

    __tablename__ = "risks"
    __table_args__ = (
        UniqueConstraint("event_id", "key"),
        Index("ix_risks_event_status", "event_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(String(16))  # plan | manual | survey
    category: Mapped[str] = mapped_column(String(64))
    title: Mapped[dict[str, str]] = mapped_column(JSONType)  # {"zh-CN": ..., "en": ...}
    description: Mapped[dict[str, str] | None] = mapped_column(JSONType, default=None)
    likelihood: Mapped[int]
    impact: Mapped[int]
    owner_team: Mapped[str | None] = mapped_column(String(64), default=None)
    mitigation: Mapped[dict[str, str] | None] = mapped_column(JSONType, default=None)
    scenario_id: Mapped[str | None] = mapped_column(String(64), default=None)
    backup_id: Mapped[str | None] = mapped_column(String(64), default=None)
    drill_scenario_id: Mapped[str | None] = mapped_column(String(64), default=None)
    status: Mapped[str] = mapped_column(String(16))
    evidence: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    plan_values: Mapped[dict[str, Any] | None] = mapped_column(JSONType, default=None)
    in_plan: Mapped[bool] = mapped_column(default=False)
    created_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

    @property
    def score(self) -> int:
        return self.likelihood * self.impact


class RiskChange(Base):
    """The history of a risk: what changed (field -> [before, after]), who, when and why."""

    __tablename__ = "risk_history"

    id: Mapped[int] = mapped_column(primary_key=True)
    risk_id: Mapped[int] = mapped_column(ForeignKey("risks.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    kind: Mapped[str] = mapped_column(String(16))  # created | edited | plan | assessment | review
    actor: Mapped[str] = mapped_column(String(120))
    changes: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    reason: Mapped[str | None] = mapped_column(Text, default=None)


class RiskAssessment(Base):
    """A quantitative proposal (from past incidents) accepted or overridden by a person: the proposed
    and the decided values are both kept, with the evidence and the reason."""

    __tablename__ = "risk_assessments"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    risk_id: Mapped[int] = mapped_column(ForeignKey("risks.id", ondelete="CASCADE"), index=True)
    subject: Mapped[str] = mapped_column(String(80))  # scenario:ID or category:ID
    proposed_likelihood: Mapped[int]
    proposed_impact: Mapped[int]
    likelihood: Mapped[int]
    impact: Mapped[int]
    decision: Mapped[str] = mapped_column(String(16))  # accepted | overridden
    reason: Mapped[str | None] = mapped_column(Text, default=None)
    metrics: Mapped[dict[str, Any]] = mapped_column(JSONType)
    evidence: Mapped[list[dict[str, Any]]] = mapped_column(JSONType)
    decided_by: Mapped[str] = mapped_column(String(120))
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ReviewRound(Base):
    """An expert review of the register: complete once every required team has signed off."""

    __tablename__ = "risk_review_rounds"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    required_teams: Mapped[list[str]] = mapped_column(JSONType)
    status: Mapped[str] = mapped_column(String(16))  # open | complete
    created_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)


class ReviewEntry(Base):
    """A reviewer's comment on a risk, a proposed change to it, or a team's sign-off of the round."""

    __tablename__ = "risk_review_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("risk_review_rounds.id", ondelete="CASCADE"), index=True)
    risk_id: Mapped[int | None] = mapped_column(ForeignKey("risks.id", ondelete="CASCADE"), default=None)
    kind: Mapped[str] = mapped_column(String(16))  # comment | proposal | signoff
    team: Mapped[str] = mapped_column(String(64))
    reviewer: Mapped[str] = mapped_column(String(120))
    text: Mapped[str | None] = mapped_column(Text, default=None)
    proposed: Mapped[dict[str, Any] | None] = mapped_column(JSONType, default=None)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    accepted_by: Mapped[str | None] = mapped_column(String(120), default=None)  # a proposal applied
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
