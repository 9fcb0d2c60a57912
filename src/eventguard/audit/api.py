"""The audit log over HTTP, for admins: newest first, filtered, paged backwards by id."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from eventguard.audit import service
from eventguard.audit.schemas import AuditEntryRead, AuditPage
from eventguard.auth.deps import Principal, require_role
from eventguard.auth.models import Role
from eventguard.deps import DbSession
from eventguard.inputs import Id, SafeStr

router = APIRouter(prefix="/api/v1/audit", tags=["audit"])


@router.get("")
def list_entries(
    _admin: Annotated[Principal, Depends(require_role(Role.admin))],
    db: DbSession,
    action: Annotated[SafeStr | None, Query(max_length=80, description='e.g. "user.create"')] = None,
    target_type: Annotated[SafeStr | None, Query(max_length=40)] = None,
    target_id: Annotated[SafeStr | None, Query(max_length=80)] = None,
    before_id: Annotated[Id | None, Query(description="Only entries older than this id.")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> AuditPage:
    """Audit entries, newest first (admin). Filter by action and target; page with ``before_id``."""
    entries = service.list_entries(
        db=db, action=action, target_type=target_type, target_id=target_id, before_id=before_id, limit=limit
    )
    next_before_id = entries[-1].id if len(entries) == limit else None
    return AuditPage(
        entries=[AuditEntryRead.model_validate(e) for e in entries], next_before_id=next_before_id
    )
