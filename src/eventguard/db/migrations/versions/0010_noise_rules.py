"""inhibition, flapping, reminders and maintenance windows posted on the status page

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import eventguard.db.base

revision: str = "0010"
down_revision: str | Sequence[str] | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _json() -> sa.types.TypeEngine[Any]:
    return sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def _at(name: str, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, eventguard.db.base.UTCDateTime(timezone=True), nullable=nullable)


def _event_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["event_id"], ["events.id"], name=op.f(f"fk_{table}_event_id_events"), ondelete="CASCADE"
    )


def upgrade() -> None:
    with op.batch_alter_table("maintenance_windows", schema=None) as batch_op:
        batch_op.add_column(sa.Column("status_page", _json(), nullable=True))

    op.create_table(
        "noise_inhibited_alerts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("fingerprint", sa.String(length=255), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("rule", sa.String(length=80), nullable=False),
        _at("joined_at"),
        _event_fk("noise_inhibited_alerts"),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incidents.id"],
            name=op.f("fk_noise_inhibited_alerts_incident_id_incidents"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_noise_inhibited_alerts")),
        sa.UniqueConstraint(
            "event_id", "fingerprint", name=op.f("uq_noise_inhibited_alerts_event_id_fingerprint")
        ),
    )
    with op.batch_alter_table("noise_inhibited_alerts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_noise_inhibited_alerts_incident_id"), ["incident_id"], unique=False
        )

    op.create_table(
        "noise_alert_flaps",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("fingerprint", sa.String(length=255), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=True),
        sa.Column("history", _json(), nullable=False),
        _at("last_change_at"),
        _at("flapping_since", nullable=True),
        sa.Column("times_flapping", sa.Integer(), nullable=False),
        _event_fk("noise_alert_flaps"),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incidents.id"],
            name=op.f("fk_noise_alert_flaps_incident_id_incidents"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_noise_alert_flaps")),
        sa.UniqueConstraint(
            "event_id", "fingerprint", name=op.f("uq_noise_alert_flaps_event_id_fingerprint")
        ),
    )
    with op.batch_alter_table("noise_alert_flaps", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_noise_alert_flaps_incident_id"), ["incident_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_noise_alert_flaps_flapping_since"), ["flapping_since"], unique=False
        )

    op.create_table(
        "noise_incident_reminders",
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("sent", sa.Integer(), nullable=False),
        _at("last_at"),
        sa.Column("last_kind", sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incidents.id"],
            name=op.f("fk_noise_incident_reminders_incident_id_incidents"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("incident_id", name=op.f("pk_noise_incident_reminders")),
    )

    op.create_table(
        "noise_maintenance_posts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("window", sa.String(length=80), nullable=False),
        _at("occurrence_start"),
        _at("occurrence_end"),
        sa.Column("maintenance_id", sa.Integer(), nullable=True),
        _at("announced_at"),
        _at("started_at", nullable=True),
        _at("ended_at", nullable=True),
        _event_fk("noise_maintenance_posts"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_noise_maintenance_posts")),
        sa.UniqueConstraint(
            "event_id",
            "window",
            "occurrence_start",
            name=op.f("uq_noise_maintenance_posts_event_id_window_occurrence_start"),
        ),
    )


def downgrade() -> None:
    op.drop_table("noise_maintenance_posts")
    op.drop_table("noise_incident_reminders")
    with op.batch_alter_table("noise_alert_flaps", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_noise_alert_flaps_flapping_since"))
        batch_op.drop_index(batch_op.f("ix_noise_alert_flaps_incident_id"))
    op.drop_table("noise_alert_flaps")
    with op.batch_alter_table("noise_inhibited_alerts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_noise_inhibited_alerts_incident_id"))
    op.drop_table("noise_inhibited_alerts")
    with op.batch_alter_table("maintenance_windows", schema=None) as batch_op:
        batch_op.drop_column("status_page")
