"""Writing and reading the audit log. Every service that changes state calls ``record``."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from sqlalchemy import event, select
from sqlalchemy.orm import Session, UOWTransaction

from eventguard.audit.models import AuditEntry
from eventguard.clock import Clock, SystemClock
from eventguard.errors import Conflict


@dataclass(frozen=True)
class Actor:
    """Who did something: a user (via session or API token), the CLI, or the system itself."""

    type: str
    name: str
    id: int | None = None
    request_id: str | None = None

    @classmethod
    def system(cls) -> Actor:
        return cls(type="system", name="system")

    @classmethod
    def cli(cls, name: str = "cli") -> Actor:
        return cls(type="cli", name=name)


def record(
    *,
    db: Session,
    actor: Actor,
    action: str,
    target_type: str,
    target_id: str | int | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    clock: Clock | None = None,
) -> AuditEntry:
    """Append one entry in the caller's transaction (so it commits or rolls back with the change)."""
    entry = AuditEntry(
        at=(clock or SystemClock()).now(),
        actor_type=actor.type,
        actor_id=actor.id,
        actor_name=actor.name,
        action=action,
        target_type=target_type,
        target_id=None if target_id is None else str(target_id),
        before=before,
        after=after,
        request_id=actor.request_id,
    )
    db.add(entry)
    return entry


class _Row(Protocol):
    id: Any


Row = TypeVar("Row", bound=_Row)


@contextmanager
def audited(
    row: Row,
    *,
    db: Session,
    actor: Actor,
    action: str,
    target_type: str,
    clock: Clock,
    view: Callable[[Row], dict[str, Any]] | None = None,
) -> Iterator[Row]:
    """Snapshot, change, flush, audit: ``view(row)`` is taken as ``before``, the block changes the
    row, then the session is flushed and one entry recorded with ``view(row)`` as ``after`` (no
    ``view``: neither). A block that raises records nothing."""
    before = view(row) if view is not None else None
    yield row
    db.flush()
    record(
        db=db,
        actor=actor,
        action=action,
        target_type=target_type,
        target_id=row.id,
        before=before,
        after=view(row) if view is not None else None,
        clock=clock,
    )


def added(
    row: Row,
    *,
    db: Session,
    actor: Actor,
    action: str,
    target_type: str,
    clock: Clock,
    view: Callable[[Row], dict[str, Any]],
) -> Row:
    """Add a new row, flush (so it has its id) and audit it with ``view(row)`` as ``after``."""
    db.add(row)
    db.flush()
    record(
        db=db,
        actor=actor,
        action=action,
        target_type=target_type,
        target_id=row.id,
        after=view(row),
        clock=clock,
    )
    return row


def list_entries(
    *,
    db: Session,
    action: str | None = None,
    target_type: str | None = None,
    target_id: str | None = None,
    limit: int = 100,
    before_id: int | None = None,
) -> Sequence[AuditEntry]:
    """Newest first; ``before_id`` pages backwards."""
    query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
    if action:
        query = query.where(AuditEntry.action == action)
    if target_type:
        query = query.where(AuditEntry.target_type == target_type)
    if target_id:
        query = query.where(AuditEntry.target_id == target_id)
    if before_id:
        query = query.where(AuditEntry.id < before_id)
    return db.scalars(query).all()


@event.listens_for(Session, "before_flush")
def _refuse_audit_changes(session: Session, _ctx: UOWTransaction, _instances: object) -> None:
    # The log is append-only: an attempt to edit or delete an entry is a bug, and fails loudly.
    for obj in list(session.dirty) + list(session.deleted):
        if isinstance(obj, AuditEntry) and (obj in session.deleted or session.is_modified(obj)):
            raise Conflict("audit log entries cannot be changed or deleted", code="audit_append_only")
