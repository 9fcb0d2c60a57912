"""Reading the audit log over the API."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class AuditEntryRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    at: datetime
    actor_type: str = Field(description="user (console session), token (API token), cli or system.")
    actor_id: int | None
    actor_name: str
    action: str
    target_type: str
    target_id: str | None
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    request_id: str | None


class AuditPage(BaseModel):
    entries: list[AuditEntryRead]
    next_before_id: int | None = Field(
        description="Pass as ``before_id`` for the next (older) page; null on the last page."
    )
