"""One wave of alert intake (alerts/service.py ``ingest_many``), row by row: the reports of a
transaction (``Item``), the stored alerts they update or the rows inserted for new fingerprints,
and what the wave does to each incident's counts and what opens one. The caller holds the locks in
the order ``_apply_wave`` documents."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from eventguard.alerts.classify import Classification, group_key
from eventguard.alerts.formats.base import AlertIn, ParsedBatch
from eventguard.alerts.models import Alert, alert_table
from eventguard.clock import Clock
from eventguard.db.bulk import insert_rows
from eventguard.incidents.grouping import GroupChange, Opening
from eventguard.incidents.models import Incident
from eventguard.noise import service as noise

CHUNK = 500  # bound on bind parameters per query (SQLite allows 32,766)
EVIDENCE_ALERTS = 50


@dataclass(frozen=True)
class Submission:
    """One request's parsed alerts, as received from one integration."""

    batch: ParsedBatch
    source: str
    integration_id: int | None = None


@dataclass
class Item:
    alert_in: AlertIn
    classification: Classification
    batch_id: int
    submission: int  # position of the request in the transaction
    also: set[int] = field(default_factory=set)  # earlier requests whose same report was merged in
    repeats: int = 1  # reports of this fingerprint in its request
    row: Alert | None = None  # the stored row of a fingerprint seen before (None for a new one)
    was_new: bool = False
    fresh_incident: int | None = None  # the incident a new row was inserted pointing at
    incident_before: int | None = None  # the row's incident before this report
    previous_status: str | None = None
    held_by: noise.Rule | None = None  # the silence, maintenance window or flapping that holds its page
    inhibited_by: noise.Rule | None = None  # the inhibition rule that sent it to a more severe incident


def level_of(item: Item) -> int:
    return item.classification.level


def seen(item: Item, row: Alert) -> None:
    item.previous_status, item.incident_before = row.status, row.incident_id


def latest_per_fingerprint(items: list[Item]) -> list[Item]:
    # Within one request the last word about a fingerprint wins; the earlier ones count as receipts.
    latest: dict[str, Item] = {}
    for item in items:
        earlier = latest.get(item.alert_in.fingerprint)
        if earlier is not None:
            item.repeats += earlier.repeats
        latest[item.alert_in.fingerprint] = item
    return list(latest.values())


def lock_existing(db: Session, event_id: int, fingerprints: Sequence[str]) -> dict[str, Alert]:
    found: dict[str, Alert] = {}
    for start in range(0, len(fingerprints), CHUNK):
        chunk = fingerprints[start : start + CHUNK]
        query = (
            select(Alert)
            .where(Alert.event_id == event_id, Alert.fingerprint.in_(chunk))
            .order_by(Alert.fingerprint)
            .with_for_update()
        )
        found.update((row.fingerprint, row) for row in db.scalars(query))
    return found


def new_values(
    event_id: int, item: Item, group_by: list[str], clock: Clock, incident_id: int | None
) -> dict[str, Any]:
    alert_in, now = item.alert_in, clock.now()
    return dict(
        event_id=event_id,
        incident_id=incident_id,
        fingerprint=alert_in.fingerprint,
        status=alert_in.status,
        source=alert_in.source,
        summary=alert_in.summary[:1024],
        severity=alert_in.severity,
        labels=alert_in.labels,
        annotations=alert_in.annotations,
        group_key=group_key(group_by, alert_in.labels),
        scenario_id=item.classification.scenario_id,
        level=item.classification.level,
        starts_at=alert_in.starts_at,
        ends_at=alert_in.ends_at,
        generator_url=alert_in.generator_url,
        first_received_at=now,
        last_received_at=now,
        receive_count=item.repeats,
    )


def insert_fresh(
    db: Session,
    event_id: int,
    fresh: list[Item],
    group_by: list[str],
    clock: Clock,
    incident_of: dict[int, int],
) -> None:
    """Insert unseen fingerprints with one ``INSERT`` over all rows (executemany through
    ``db.bulk.insert_rows``: no ORM objects, no RETURNING — nothing later needs them); if a
    concurrent transaction inserted one of them first (unique violation), fall back to one
    savepoint per alert and take the winner's row."""
    if not fresh:
        return
    values = [new_values(event_id, item, group_by, clock, incident_of.get(id(item))) for item in fresh]
    try:
        with db.begin_nested():
            insert_rows(db, alert_table, values)
    except IntegrityError:
        for item, row_values in zip(fresh, values, strict=True):
            insert_or_lock(db, event_id, item, row_values)
        return
    for item, row_values in zip(fresh, values, strict=True):
        item.was_new, item.fresh_incident = True, row_values["incident_id"]


def insert_or_lock(db: Session, event_id: int, item: Item, values: dict[str, Any]) -> None:
    try:
        with db.begin_nested():
            db.execute(insert(alert_table), [values])
        item.was_new, item.fresh_incident = True, values["incident_id"]
    except IntegrityError:
        query = select(Alert).where(
            Alert.event_id == event_id, Alert.fingerprint == item.alert_in.fingerprint
        )
        existing = db.scalar(query.with_for_update())
        assert existing is not None
        item.row = existing
        seen(item, existing)


def update_row(row: Alert, item: Item, clock: Clock) -> None:
    alert_in = item.alert_in
    row.status = alert_in.status
    row.summary = alert_in.summary[:1024]
    row.severity = alert_in.severity
    row.labels, row.annotations = alert_in.labels, alert_in.annotations
    row.scenario_id, row.level = item.classification.scenario_id, item.classification.level
    row.ends_at = alert_in.ends_at
    if alert_in.status == "firing" and item.previous_status == "resolved":
        row.starts_at = alert_in.starts_at
    row.last_received_at = clock.now()
    row.receive_count += item.repeats


def tally(incident: Incident, members: list[Item]) -> tuple[int, int]:
    """(all alerts, firing alerts) of the incident after this wave: its stored counts moved by what
    the wave did to its members (no count over the alerts table, which grows with a storm). The
    incident row is locked, so no one else moves the counts meanwhile."""
    total, firing = incident.alert_count, incident.firing_count
    for member in members:
        now = member.fresh_incident if member.was_new else member.row.incident_id if member.row else None
        was_in, now_in = member.incident_before == incident.id, now == incident.id
        total += int(now_in) - int(was_in)
        firing += int(now_in and member.alert_in.status == "firing")
        firing -= int(was_in and member.previous_status == "firing")
    return total, firing


def change(incident: Incident, members: list[Item], tally: tuple[int, int]) -> GroupChange:
    firing = [m for m in members if m.alert_in.status == "firing"]
    return GroupChange(
        new_fingerprints=[m.alert_in.fingerprint for m in members if m.was_new],
        resolved_fingerprints=[
            m.alert_in.fingerprint
            for m in members
            if m.alert_in.status == "resolved" and m.previous_status != "resolved"
        ],
        refired_fingerprints=[m.alert_in.fingerprint for m in firing if m.previous_status == "resolved"],
        # A held alert does not raise the level (that would page): it is counted, not acted on.
        most_severe_level=min(
            (m.classification.level for m in firing if m.held_by is None), default=incident.level
        ),
        total=tally[0],
        firing=tally[1],
    )


def opening(firing: list[Item], source: str, clock: Clock) -> Opening:
    lead = min(firing, key=lambda m: m.classification.level)
    batch_id = lead.batch_id
    others = len(firing) - 1
    title = lead.alert_in.summary + (f" (+{others})" if others else "")
    evidence: dict[str, Any] = {
        "batch_id": batch_id,
        "source": source,
        "received_at": clock.now().isoformat(),
        "alert_count": len(firing),
        "alerts": [
            {
                "fingerprint": m.alert_in.fingerprint,
                "labels": m.alert_in.labels,
                "annotations": m.alert_in.annotations,
                "starts_at": m.alert_in.starts_at.isoformat(),
                "raw": m.alert_in.raw,
            }
            for m in firing[:EVIDENCE_ALERTS]
        ],
        "classification": {
            "level": lead.classification.level,
            "scenario_id": lead.classification.scenario_id,
            "rule_index": lead.classification.rule_index,
        },
    }
    functions = sorted({f for m in firing for f in m.classification.core_functions})
    impact = lead.alert_in.annotations.get("impact") or lead.alert_in.annotations.get("description")
    return Opening(
        title=title,
        level=lead.classification.level,
        scenario_id=lead.classification.scenario_id,
        core_functions=functions,
        source=source,
        evidence=evidence,
        impact=impact,
    )
