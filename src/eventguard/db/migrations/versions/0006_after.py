"""after phase: drills, postmortems, revisions, compliance deadlines

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import eventguard.db.base

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "drill_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("drill_id", sa.String(length=64), nullable=False),
        sa.Column("scenario_id", sa.String(length=64), nullable=False),
        sa.Column("mode", sa.String(length=16), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "planned",
                "running",
                "finished",
                "cancelled",
                name="drillstatus",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("plan_version_id", sa.Integer(), nullable=True),
        sa.Column("created_at", eventguard.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=120), nullable=False),
        sa.Column("started_at", eventguard.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("finished_at", eventguard.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("finished_by", sa.String(length=120), nullable=True),
        sa.Column("score", sa.Integer(), nullable=True),
        sa.Column("passed", sa.Boolean(), nullable=True),
        sa.Column(
            "scorecard",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["event_id"], ["events.id"], name=op.f("fk_drill_runs_event_id_events"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_drill_runs")),
    )
    op.create_index("ix_drill_runs_event_status", "drill_runs", ["event_id", "status"], unique=False)
    op.create_table(
        "drill_answers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("answer", sa.Text(), nullable=False),
        sa.Column("team", sa.String(length=64), nullable=True),
        sa.Column("rating", sa.Integer(), nullable=False),
        sa.Column("answered_by", sa.String(length=120), nullable=False),
        sa.Column("answered_at", eventguard.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"], ["drill_runs.id"], name=op.f("fk_drill_answers_run_id_drill_runs"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_drill_answers")),
        sa.UniqueConstraint("run_id", "position", name=op.f("uq_drill_answers_run_id_position")),
    )
    op.create_index(op.f("ix_drill_answers_run_id"), "drill_answers", ["run_id"], unique=False)
    op.create_table(
        "drill_injections",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("due_at", eventguard.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("injected_at", eventguard.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("journal_id", sa.BigInteger(), nullable=True),
        sa.Column(
            "alert",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["drill_runs.id"],
            name=op.f("fk_drill_injections_run_id_drill_runs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_drill_injections")),
        sa.UniqueConstraint("run_id", "position", name=op.f("uq_drill_injections_run_id_position")),
    )
    op.create_index("ix_drill_injections_due", "drill_injections", ["injected_at", "due_at"], unique=False)
    op.create_table(
        "postmortems",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("is_drill", sa.Boolean(), nullable=False),
        sa.Column(
            "status",
            sa.Enum("draft", "in_review", "approved", name="postmortemstatus", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column(
            "document",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "timeline",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("due_at", eventguard.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_at", eventguard.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", eventguard.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=120), nullable=False),
        sa.Column("approved_at", eventguard.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("approved_by", sa.String(length=120), nullable=True),
        sa.ForeignKeyConstraint(
            ["event_id"], ["events.id"], name=op.f("fk_postmortems_event_id_events"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incidents.id"],
            name=op.f("fk_postmortems_incident_id_incidents"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_postmortems")),
        sa.UniqueConstraint("incident_id", name=op.f("uq_postmortems_incident_id")),
    )
    op.create_index("ix_postmortems_event_status", "postmortems", ["event_id", "status"], unique=False)
    op.create_table(
        "action_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("postmortem_id", sa.Integer(), nullable=True),
        sa.Column("incident_id", sa.Integer(), nullable=True),
        sa.Column("drill_run_id", sa.Integer(), nullable=True),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("owner_team", sa.String(length=64), nullable=False),
        sa.Column("due_at", eventguard.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "open",
                "in_progress",
                "done",
                "wont_do",
                name="actionitemstatus",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("created_at", eventguard.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=120), nullable=False),
        sa.Column("closed_at", eventguard.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("reminded_at", eventguard.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("proposed_plan", sa.Text(), nullable=True),
        sa.Column("proposed_by", sa.String(length=120), nullable=True),
        sa.Column("plan_version_id", sa.Integer(), nullable=True),
        sa.Column("plan_version_number", sa.Integer(), nullable=True),
        sa.Column("base_version_number", sa.Integer(), nullable=True),
        sa.Column("accepted_at", eventguard.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("accepted_by", sa.String(length=120), nullable=True),
        sa.ForeignKeyConstraint(
            ["event_id"], ["events.id"], name=op.f("fk_action_items_event_id_events"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incidents.id"],
            name=op.f("fk_action_items_incident_id_incidents"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["postmortem_id"],
            ["postmortems.id"],
            name=op.f("fk_action_items_postmortem_id_postmortems"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_action_items")),
    )
    op.create_index("ix_action_items_event_status", "action_items", ["event_id", "status"], unique=False)
    op.create_index(op.f("ix_action_items_postmortem_id"), "action_items", ["postmortem_id"], unique=False)
    op.create_table(
        "postmortem_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("postmortem_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column(
            "document",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("edited_at", eventguard.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("edited_by", sa.String(length=120), nullable=False),
        sa.ForeignKeyConstraint(
            ["postmortem_id"],
            ["postmortems.id"],
            name=op.f("fk_postmortem_versions_postmortem_id_postmortems"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_postmortem_versions")),
        sa.UniqueConstraint(
            "postmortem_id", "number", name=op.f("uq_postmortem_versions_postmortem_id_number")
        ),
    )


def downgrade() -> None:
    op.drop_table("postmortem_versions")
    op.drop_index(op.f("ix_action_items_postmortem_id"), table_name="action_items")
    op.drop_index("ix_action_items_event_status", table_name="action_items")
    op.drop_table("action_items")
    op.drop_index("ix_postmortems_event_status", table_name="postmortems")
    op.drop_table("postmortems")
    op.drop_index("ix_drill_injections_due", table_name="drill_injections")
    op.drop_table("drill_injections")
    op.drop_index(op.f("ix_drill_answers_run_id"), table_name="drill_answers")
    op.drop_table("drill_answers")
    op.drop_index("ix_drill_runs_event_status", table_name="drill_runs")
    op.drop_table("drill_runs")
