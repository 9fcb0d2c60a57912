"""Which platform user is which EventGuard user (a chat command acts as that user, with that user's role)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from eventguard.audit import service as audit
from eventguard.audit.service import Actor
from eventguard.auth.models import User
from eventguard.chat.apps import check_platform
from eventguard.chat.models import ChatIdentity
from eventguard.clock import Clock
from eventguard.errors import Conflict, NotFound
from eventguard.i18n import Message


def link(
    *, db: Session, user: User, platform: str, external_id: str, actor: Actor, clock: Clock
) -> ChatIdentity:
    """Link ``external_id`` on ``platform`` to ``user`` (replacing the user's previous id there)."""
    check_platform(platform)
    taken = db.scalar(
        select(ChatIdentity).where(ChatIdentity.platform == platform, ChatIdentity.external_id == external_id)
    )
    if taken is not None and taken.user_id != user.id:
        raise Conflict(
            Message("That {platform} id is linked to another user.", {"platform": platform}),
            code="chat_identity_taken",
        )
    row = db.scalar(
        select(ChatIdentity).where(ChatIdentity.platform == platform, ChatIdentity.user_id == user.id)
    )
    if row is None:
        row = ChatIdentity(
            user_id=user.id,
            platform=platform,
            external_id=external_id,
            created_at=clock.now(),
            created_by=actor.name,
        )
        db.add(row)
    row.external_id = external_id
    db.flush()
    audit.record(
        db=db, actor=actor, action="chat.identity_linked", target_type="user", target_id=user.id,
        after={"platform": platform, "external_id": external_id}, clock=clock,
    )  # fmt: skip
    return row


def unlink(*, db: Session, user: User, platform: str, actor: Actor, clock: Clock) -> None:
    check_platform(platform)
    row = db.scalar(
        select(ChatIdentity).where(ChatIdentity.platform == platform, ChatIdentity.user_id == user.id)
    )
    if row is None:
        raise NotFound(
            Message("The user has no {platform} id.", {"platform": platform}), code="chat_identity_not_found"
        )
    db.delete(row)
    audit.record(
        db=db,
        actor=actor,
        action="chat.identity_unlinked",
        target_type="user",
        target_id=user.id,
        after={"platform": platform},
        clock=clock,
    )


def of_user(*, db: Session, user_id: int) -> Sequence[ChatIdentity]:
    return db.scalars(
        select(ChatIdentity).where(ChatIdentity.user_id == user_id).order_by(ChatIdentity.platform)
    ).all()
