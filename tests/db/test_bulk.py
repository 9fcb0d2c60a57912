"""``db.bulk.insert_rows`` stores what SQLAlchemy's own ``insert`` would, on both databases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from eventguard.alerts.models import alert_table
from eventguard.db.bulk import insert_rows
from eventguard.events.models import Event

NOW = datetime(2026, 12, 8, 3, 0, tzinfo=UTC)


def _row(event: Event, n: int, **changes: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "event_id": event.id,
        "incident_id": None,
        "fingerprint": f"fp-{n}",
        "status": "firing",
        "source": "alertmanager",
        "summary": f"alert {n} — 告警",
        "severity": "critical" if n % 2 else None,
        "labels": {"alertname": "X", "n": str(n), "city": "上海"},
        "annotations": {} if n % 3 else {"summary": "s", "weight": 1.0 if n % 2 else 1},
        "group_key": "alertname=X",
        "scenario_id": None,
        "level": 2,
        # the same moment in two time zones, and distinct ones: both stored as UTC
        "starts_at": NOW if n % 2 else NOW.astimezone(timezone(timedelta(hours=8))),
        "ends_at": None if n % 2 else NOW + timedelta(seconds=n),
        "generator_url": None,
        "first_received_at": NOW,
        "last_received_at": NOW,
        "receive_count": n,
    }
    row.update(changes)
    return row


def _stored(db: Session, prefix: str) -> list[tuple[Any, ...]]:
    columns = [c for c in alert_table.c if c.key not in ("id", "fingerprint")]
    query = select(*columns).where(alert_table.c.fingerprint.like(f"{prefix}%")).order_by(alert_table.c.id)
    return [tuple(row) for row in db.execute(query)]


def test_rows_are_stored_as_sqlalchemy_stores_them(db: Session, event: Event) -> None:
    ours = [_row(event, n, fingerprint=f"ours-{n}") for n in range(12)]
    theirs = [_row(event, n, fingerprint=f"theirs-{n}") for n in range(12)]
    insert_rows(db, alert_table, ours)
    db.execute(insert(alert_table), theirs)
    db.commit()
    stored = _stored(db, "ours-")
    assert len(stored) == 12
    assert stored == _stored(db, "theirs-")
    starts = select(alert_table.c.starts_at).where(alert_table.c.fingerprint.like("ours-%"))
    assert set(db.scalars(starts)) == {NOW}  # whatever zone it came in, stored as the same moment


def test_a_row_without_a_defaulted_column_gets_its_default(db: Session, event: Event) -> None:
    row = _row(event, 1)
    del row["receive_count"]  # a Python-side default: SQLAlchemy's path fills it in
    insert_rows(db, alert_table, [row])
    db.commit()
    assert db.scalar(select(alert_table.c.receive_count).where(alert_table.c.fingerprint == "fp-1")) == 1


def test_a_unique_violation_is_sqlalchemys_integrity_error(db: Session, event: Event) -> None:
    insert_rows(db, alert_table, [_row(event, 5)])
    db.commit()
    with pytest.raises(IntegrityError):
        insert_rows(db, alert_table, [_row(event, 6), _row(event, 5)])
    db.rollback()
    assert _stored(db, "fp-6") == []


def test_ids_come_back_in_the_order_of_the_rows(
    db: Session, event: Event, monkeypatch: pytest.MonkeyPatch
) -> None:
    from eventguard.alerts.models import alert_batch_table
    from eventguard.db import bulk

    monkeypatch.setattr(bulk, "SQLITE_MAX_VARIABLES", 6 * 7)  # 7 rows per statement: 5 statements
    rows = [
        {
            "event_id": event.id,
            "integration_id": None,
            "source": f"source-{n}",
            "received_at": NOW + timedelta(seconds=n % 3),
            "alert_count": n,
            "payload": {"n": n, "text": "负载"},
        }
        for n in range(31)
    ]
    ids = bulk.insert_rows_returning_ids(db, alert_batch_table, rows)
    db.commit()
    assert len(set(ids)) == 31
    table = alert_batch_table
    stored = db.execute(select(table.c.id, table.c.source, table.c.payload, table.c.received_at)).all()
    by_id = {row.id: row for row in stored}
    for n, new_id in enumerate(ids):
        assert by_id[new_id].source == f"source-{n}"
        assert by_id[new_id].payload == {"n": n, "text": "负载"}
        assert by_id[new_id].received_at == NOW + timedelta(seconds=n % 3)
