"""analytics exports, offline kit, compliance deadlines: the compliance tables (the kit keeps no table)

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import eventguard.db.base

revision: str = "0008"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "compliance_marks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("grade", sa.String(length=24), nullable=False),
        sa.Column("personal_data", sa.Boolean(), nullable=False),
        sa.Column("eu_personal_data", sa.Boolean(), nullable=False),
        sa.Column("aware_at", eventguard.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("marked_at", eventguard.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("marked_by", sa.String(length=120), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["event_id"], ["events.id"], name=op.f("fk_compliance_marks_event_id_events"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incidents.id"],
            name=op.f("fk_compliance_marks_incident_id_incidents"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_compliance_marks")),
        sa.UniqueConstraint("incident_id", name=op.f("uq_compliance_marks_incident_id")),
    )
    with op.batch_alter_table("compliance_marks", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_compliance_marks_event_id"), ["event_id"], unique=False)

    op.create_table(
        "compliance_deadlines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("mark_id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("rule_id", sa.String(length=64), nullable=False),
        sa.Column(
            "rule",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("started_at", eventguard.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("due_at", eventguard.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column(
            "draft",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("draft_updated_at", eventguard.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("draft_updated_by", sa.String(length=120), nullable=True),
        sa.Column("sent_at", eventguard.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("sent_by", sa.String(length=120), nullable=True),
        sa.Column("sent_to", sa.String(length=300), nullable=True),
        sa.Column("reference", sa.String(length=200), nullable=True),
        sa.Column("recorded_by", sa.String(length=120), nullable=True),
        sa.Column("recorded_at", eventguard.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["events.id"],
            name=op.f("fk_compliance_deadlines_event_id_events"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incidents.id"],
            name=op.f("fk_compliance_deadlines_incident_id_incidents"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["mark_id"],
            ["compliance_marks.id"],
            name=op.f("fk_compliance_deadlines_mark_id_compliance_marks"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_compliance_deadlines")),
    )
    with op.batch_alter_table("compliance_deadlines", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_compliance_deadlines_event_id"), ["event_id"], unique=False)
        batch_op.create_index("ix_compliance_deadlines_incident", ["incident_id", "rule_id"], unique=True)
        batch_op.create_index(batch_op.f("ix_compliance_deadlines_mark_id"), ["mark_id"], unique=False)

    op.create_table(
        "compliance_reminders",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("deadline_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("due_at", eventguard.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("fired_at", eventguard.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("cancelled_at", eventguard.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["deadline_id"],
            ["compliance_deadlines.id"],
            name=op.f("fk_compliance_reminders_deadline_id_compliance_deadlines"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_compliance_reminders")),
    )
    with op.batch_alter_table("compliance_reminders", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_compliance_reminders_deadline_id"), ["deadline_id"], unique=False
        )
        batch_op.create_index("ix_compliance_reminders_due", ["fired_at", "due_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("compliance_reminders", schema=None) as batch_op:
        batch_op.drop_index("ix_compliance_reminders_due")
        batch_op.drop_index(batch_op.f("ix_compliance_reminders_deadline_id"))

    op.drop_table("compliance_reminders")
    with op.batch_alter_table("compliance_deadlines", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_compliance_deadlines_mark_id"))
        batch_op.drop_index("ix_compliance_deadlines_incident")
        batch_op.drop_index(batch_op.f("ix_compliance_deadlines_event_id"))

    op.drop_table("compliance_deadlines")
    with op.batch_alter_table("compliance_marks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_compliance_marks_event_id"))

    op.drop_table("compliance_marks")
