"""Alerts EventGuard raises itself (its monitoring probes, its content watch): one journal row in
the generic format, appended in the caller's transaction, so they take the same path as an external
sender's — dedup, classification by the plan's rules, grouping, notification — and the state change
that raised them commits with them or not at all."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy.orm import Session

from eventguard.alerts.formats.base import AlertFormat, ParsedBatch
from eventguard.alerts.formats.generic import GenericFormat
from eventguard.alerts.journal.models import PENDING, JournalEntry


class InternalFormat(GenericFormat):
    """The generic format under another source name (what the plan's ``sources:`` match)."""

    def __init__(self, name: str, sender: str) -> None:
        self.name = name
        self.sender = sender

    def parse(self, payload: Any, *, received_at: datetime) -> ParsedBatch:
        batch = super().parse(payload, received_at=received_at)
        alerts = [replace(alert, source=self.name) for alert in batch.alerts]
        return replace(batch, alerts=alerts)


def append_alerts(
    *, db: Session, event_id: int, kind: str, alerts: list[dict[str, Any]], received_at: datetime
) -> JournalEntry:
    """Journal ``alerts`` (generic-format objects: title, status, labels, annotations …) of source
    ``kind`` for ``event_id``; the journal processor picks them up after the caller commits."""
    entry = JournalEntry(
        event_id=event_id,
        integration_id=None,
        kind=kind,
        received_at=received_at,
        body=orjson.dumps({"alerts": alerts}),
        alert_count=len(alerts),
        state=PENDING,
        attempts=0,
    )
    db.add(entry)
    return entry


def formats(*names: tuple[str, str]) -> list[AlertFormat]:
    return [InternalFormat(name, sender) for name, sender in names]
