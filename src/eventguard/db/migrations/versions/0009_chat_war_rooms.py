"""chat war rooms and chat commands: chat apps (encrypted credentials), war rooms and their posts,
chat identities, callback nonces

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import eventguard.db.base

revision: str = "0009"
down_revision: str | Sequence[str] | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _json() -> sa.types.TypeEngine[Any]:
    return sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "chat_nonces",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("platform", sa.String(length=16), nullable=False),
        sa.Column("nonce", sa.String(length=128), nullable=False),
        sa.Column("seen_at", eventguard.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_chat_nonces")),
        sa.UniqueConstraint("platform", "nonce", name=op.f("uq_chat_nonces_platform_nonce")),
    )
    with op.batch_alter_table("chat_nonces", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_chat_nonces_seen_at"), ["seen_at"], unique=False)

    op.create_table(
        "chat_apps",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("platform", sa.String(length=16), nullable=False),
        sa.Column("app_id", sa.String(length=200), nullable=False),
        sa.Column("base_url", sa.String(length=500), nullable=False),
        sa.Column("secrets", sa.Text(), nullable=False),
        sa.Column("settings", _json(), nullable=False),
        sa.Column("token", sa.Text(), nullable=True),
        sa.Column("token_expires_at", eventguard.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", eventguard.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", eventguard.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=120), nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"], ["events.id"], name=op.f("fk_chat_apps_event_id_events"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_chat_apps")),
        sa.UniqueConstraint("event_id", "platform", name=op.f("uq_chat_apps_event_id_platform")),
    )
    op.create_table(
        "chat_identities",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("platform", sa.String(length=16), nullable=False),
        sa.Column("external_id", sa.String(length=200), nullable=False),
        sa.Column("created_at", eventguard.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=120), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_chat_identities_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_chat_identities")),
        sa.UniqueConstraint("platform", "external_id", name=op.f("uq_chat_identities_platform_external_id")),
    )
    with op.batch_alter_table("chat_identities", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_chat_identities_user_id"), ["user_id"], unique=False)

    op.create_table(
        "war_rooms",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("platform", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("chat_id", sa.String(length=200), nullable=True),
        sa.Column("link", sa.String(length=500), nullable=True),
        sa.Column("members", _json(), nullable=False),
        sa.Column("people", _json(), nullable=False),
        sa.Column("last_entry_id", sa.Integer(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", eventguard.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_error", sa.String(length=500), nullable=True),
        sa.Column("requested_by", sa.String(length=120), nullable=False),
        sa.Column("created_at", eventguard.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("opened_at", eventguard.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["event_id"], ["events.id"], name=op.f("fk_war_rooms_event_id_events"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incidents.id"],
            name=op.f("fk_war_rooms_incident_id_incidents"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_war_rooms")),
        sa.UniqueConstraint("incident_id", "platform", name=op.f("uq_war_rooms_incident_id_platform")),
    )
    with op.batch_alter_table("war_rooms", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_war_rooms_chat_id"), ["chat_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_war_rooms_event_id"), ["event_id"], unique=False)
        batch_op.create_index("ix_war_rooms_status_due", ["status", "next_attempt_at"], unique=False)

    op.create_table(
        "war_room_posts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("war_room_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("payload", _json(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", eventguard.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_error", sa.String(length=500), nullable=True),
        sa.Column("created_at", eventguard.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("sent_at", eventguard.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["war_room_id"],
            ["war_rooms.id"],
            name=op.f("fk_war_room_posts_war_room_id_war_rooms"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_war_room_posts")),
        sa.UniqueConstraint("war_room_id", "key", name=op.f("uq_war_room_posts_war_room_id_key")),
    )
    with op.batch_alter_table("war_room_posts", schema=None) as batch_op:
        batch_op.create_index("ix_war_room_posts_status_due", ["status", "next_attempt_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("war_room_posts", schema=None) as batch_op:
        batch_op.drop_index("ix_war_room_posts_status_due")

    op.drop_table("war_room_posts")
    with op.batch_alter_table("war_rooms", schema=None) as batch_op:
        batch_op.drop_index("ix_war_rooms_status_due")
        batch_op.drop_index(batch_op.f("ix_war_rooms_event_id"))
        batch_op.drop_index(batch_op.f("ix_war_rooms_chat_id"))

    op.drop_table("war_rooms")
    with op.batch_alter_table("chat_identities", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_chat_identities_user_id"))

    op.drop_table("chat_identities")
    op.drop_table("chat_apps")
    with op.batch_alter_table("chat_nonces", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_chat_nonces_seen_at"))

    op.drop_table("chat_nonces")
