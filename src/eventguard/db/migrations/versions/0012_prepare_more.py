"""more of the prepare phase: an expert review's proposal can be accepted (who, when)

Revision ID: 0012
Revises: 0011
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import eventguard.db.base

revision: str = "0012"
down_revision: str | Sequence[str] | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("risk_review_entries", sa.Column("accepted_by", sa.String(length=120), nullable=True))
    op.add_column(
        "risk_review_entries",
        sa.Column("accepted_at", eventguard.db.base.UTCDateTime(timezone=True), nullable=True),
    )


def downgrade() -> None:
    with op.batch_alter_table("risk_review_entries") as batch:
        batch.drop_column("accepted_at")
        batch.drop_column("accepted_by")
