"""audit.audited / audit.added: snapshot, change, flush, audit in one place."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from eventguard.audit import service as audit
from eventguard.audit.models import AuditEntry
from eventguard.auth.models import Role, User
from eventguard.clock import FrozenClock
from tests.auth.factories import make_user

ACTOR = audit.Actor.cli()


def _view(user: User) -> dict[str, object]:
    return {"display_name": user.display_name}


def _entries(db: Session) -> list[AuditEntry]:
    return list(db.scalars(select(AuditEntry).where(AuditEntry.action == "user.rename")))


def test_a_change_is_flushed_and_audited_with_before_and_after(db: Session, clock: FrozenClock) -> None:
    user = make_user(db, clock, username="ada", role=Role.viewer)
    before = user.display_name
    with audit.audited(
        user, db=db, actor=ACTOR, action="user.rename", target_type="user", clock=clock, view=_view
    ):
        user.display_name = "Ada L."
    (entry,) = _entries(db)
    assert (entry.target_id, entry.before, entry.after) == (
        str(user.id),
        {"display_name": before},
        {"display_name": "Ada L."},
    )


def test_a_change_that_raises_records_nothing(db: Session, clock: FrozenClock) -> None:
    user = make_user(db, clock, username="bea", role=Role.viewer)
    with (
        pytest.raises(RuntimeError),
        audit.audited(user, db=db, actor=ACTOR, action="user.rename", target_type="user", clock=clock),
    ):
        raise RuntimeError("refused")
    assert _entries(db) == []
