"""The audit log: appended in the caller's transaction, read newest first, never edited."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.orm import Session

from eventguard.audit import service
from eventguard.audit.models import AuditEntry
from eventguard.audit.service import Actor
from eventguard.clock import FrozenClock
from eventguard.errors import Conflict


def _record(db: Session, clock: FrozenClock, action: str = "user.update", target_id: int = 1) -> AuditEntry:
    entry = service.record(
        db=db,
        actor=Actor(type="user", name="alice", id=7, request_id="req-9"),
        action=action,
        target_type="user",
        target_id=target_id,
        before={"role": "viewer"},
        after={"role": "admin"},
        clock=clock,
    )
    db.commit()
    return entry


def test_it_records_who_what_when_and_before_after(db: Session, clock: FrozenClock) -> None:
    entry = _record(db, clock)
    db.expire_all()
    stored = db.get(AuditEntry, entry.id)
    assert stored is not None
    assert (stored.actor_type, stored.actor_name, stored.actor_id) == ("user", "alice", 7)
    assert (stored.action, stored.target_type, stored.target_id) == ("user.update", "user", "1")
    assert (stored.before, stored.after) == ({"role": "viewer"}, {"role": "admin"})
    assert stored.at == clock.now()
    assert stored.request_id == "req-9"


def test_an_entry_rolls_back_with_the_change_it_describes(db: Session, clock: FrozenClock) -> None:
    service.record(db=db, actor=Actor.cli(), action="user.create", target_type="user", clock=clock)
    db.rollback()
    assert service.list_entries(db=db) == []


def test_the_log_refuses_edits(db: Session, clock: FrozenClock) -> None:
    entry = _record(db, clock)
    entry.after = {"role": "viewer"}
    with pytest.raises(Conflict) as caught:
        db.flush()
    assert caught.value.code == "audit_append_only"


def test_the_log_refuses_deletes(db: Session, clock: FrozenClock) -> None:
    entry = _record(db, clock)
    db.delete(entry)
    with pytest.raises(Conflict):
        db.flush()


def test_it_lists_newest_first_with_filters_and_paging(db: Session, clock: FrozenClock) -> None:
    ids = []
    for number in range(5):
        ids.append(_record(db, clock, "user.update" if number % 2 else "token.create", target_id=number).id)
        clock.advance(timedelta(seconds=1))
    assert [e.id for e in service.list_entries(db=db)] == ids[::-1]
    assert [e.id for e in service.list_entries(db=db, action="user.update")] == [ids[3], ids[1]]
    assert [e.id for e in service.list_entries(db=db, target_type="user", target_id="2")] == [ids[2]]
    first_page = service.list_entries(db=db, limit=2)
    assert [e.id for e in first_page] == [ids[4], ids[3]]
    assert [e.id for e in service.list_entries(db=db, limit=2, before_id=first_page[-1].id)] == [
        ids[2],
        ids[1],
    ]
