"""war rooms and noise control

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import eventguard.db.base

revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _json() -> sa.types.TypeEngine[Any]:
    return sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def _at(name: str, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, eventguard.db.base.UTCDateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "maintenance_windows",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("matchers", _json(), nullable=False),
        _at("starts_at"),
        sa.Column("duration_seconds", sa.Integer(), nullable=False),
        sa.Column("repeat", sa.String(length=8), nullable=False),
        _at("until", nullable=True),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("created_by", sa.String(length=120), nullable=False),
        _at("created_at"),
        _at("deleted_at", nullable=True),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["events.id"],
            name=op.f("fk_maintenance_windows_event_id_events"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_maintenance_windows")),
    )
    with op.batch_alter_table("maintenance_windows", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_maintenance_windows_event_id"), ["event_id"], unique=False)

    op.create_table(
        "silences",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("matchers", _json(), nullable=False),
        _at("starts_at"),
        _at("ends_at"),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("created_by", sa.String(length=120), nullable=False),
        _at("created_at"),
        sa.Column("source", sa.String(length=16), nullable=False),
        _at("expired_at", nullable=True),
        sa.Column("expired_by", sa.String(length=120), nullable=True),
        sa.ForeignKeyConstraint(
            ["event_id"], ["events.id"], name=op.f("fk_silences_event_id_events"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_silences")),
    )
    with op.batch_alter_table("silences", schema=None) as batch_op:
        batch_op.create_index("ix_silences_event_ends", ["event_id", "ends_at"], unique=False)

    op.create_table(
        "alert_suppressions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("rule", sa.String(length=80), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("alerts", sa.Integer(), nullable=False),
        sa.Column("fingerprints", _json(), nullable=False),
        _at("first_at"),
        _at("last_at"),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["events.id"],
            name=op.f("fk_alert_suppressions_event_id_events"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incidents.id"],
            name=op.f("fk_alert_suppressions_incident_id_incidents"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_suppressions")),
        sa.UniqueConstraint("incident_id", "rule", name=op.f("uq_alert_suppressions_incident_id_rule")),
    )
    with op.batch_alter_table("alert_suppressions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_alert_suppressions_event_id"), ["event_id"], unique=False)

    op.create_table(
        "paging_holds",
        sa.Column("incident_id", sa.Integer(), nullable=False),
        _at("held_at"),
        sa.Column("rule", sa.String(length=80), nullable=False),
        _at("released_at", nullable=True),
        sa.Column("release_reason", sa.Text(), nullable=True),
        sa.Column("details", _json(), nullable=False),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incidents.id"],
            name=op.f("fk_paging_holds_incident_id_incidents"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("incident_id", name=op.f("pk_paging_holds")),
    )


def downgrade() -> None:
    op.drop_table("paging_holds")
    with op.batch_alter_table("alert_suppressions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_alert_suppressions_event_id"))
    op.drop_table("alert_suppressions")
    with op.batch_alter_table("silences", schema=None) as batch_op:
        batch_op.drop_index("ix_silences_event_ends")
    op.drop_table("silences")
    with op.batch_alter_table("maintenance_windows", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_maintenance_windows_event_id"))
    op.drop_table("maintenance_windows")
