"""command post (incident level clock, pause state)

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import eventguard.db.base

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "event_pauses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=True),
        sa.Column("level", sa.Integer(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("automatic", sa.Boolean(), nullable=False),
        sa.Column("paused_at", eventguard.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("paused_by", sa.String(length=120), nullable=False),
        sa.Column("resumed_at", eventguard.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("resumed_by", sa.String(length=120), nullable=True),
        sa.Column("resume_note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["event_id"], ["events.id"], name=op.f("fk_event_pauses_event_id_events"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incidents.id"],
            name=op.f("fk_event_pauses_incident_id_incidents"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_event_pauses")),
    )
    with op.batch_alter_table("event_pauses", schema=None) as batch_op:
        batch_op.create_index("ix_event_pauses_event_open", ["event_id", "resumed_at"], unique=False)

    with op.batch_alter_table("incidents", schema=None) as batch_op:
        batch_op.add_column(sa.Column("title_source", sa.String(length=16), nullable=True))

    with op.batch_alter_table("notification_sla", schema=None) as batch_op:
        batch_op.add_column(sa.Column("level", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("notification_sla", schema=None) as batch_op:
        batch_op.drop_column("level")

    with op.batch_alter_table("incidents", schema=None) as batch_op:
        batch_op.drop_column("title_source")

    with op.batch_alter_table("event_pauses", schema=None) as batch_op:
        batch_op.drop_index("ix_event_pauses_event_open")

    op.drop_table("event_pauses")
