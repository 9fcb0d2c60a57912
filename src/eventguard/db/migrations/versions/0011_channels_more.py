"""Teams, SMS and voice channels: the per-recipient sends of SMS and voice gateways

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import eventguard.db.base

revision: str = "0011"
down_revision: str | Sequence[str] | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "recipient_sends",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("delivery_id", sa.Integer(), nullable=False),
        sa.Column("medium", sa.String(length=16), nullable=False),
        sa.Column("recipient", sa.String(length=32), nullable=False),
        sa.Column("sent_at", eventguard.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["delivery_id"],
            ["deliveries.id"],
            name=op.f("fk_recipient_sends_delivery_id_deliveries"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recipient_sends")),
    )
    with op.batch_alter_table("recipient_sends", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_recipient_sends_delivery_id"), ["delivery_id"], unique=False)
        batch_op.create_index("ix_recipient_sends_window", ["medium", "recipient", "sent_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("recipient_sends", schema=None) as batch_op:
        batch_op.drop_index("ix_recipient_sends_window")
        batch_op.drop_index(batch_op.f("ix_recipient_sends_delivery_id"))
    op.drop_table("recipient_sends")
