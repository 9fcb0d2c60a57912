"""Alert intake: store every accepted alert durably, dedup by fingerprint, classify by the plan,
group into incidents. Keyword-only functions taking the session; the caller commits."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import case, func, select, update
from sqlalchemy.orm import Session

from eventguard.alerts import wave, wave_noise
from eventguard.alerts.classify import classify, group_key
from eventguard.alerts.formats.base import AlertIn, ParsedBatch
from eventguard.alerts.models import Alert, alert_batch_table
from eventguard.audit.service import Actor
from eventguard.clock import Clock
from eventguard.db.bulk import insert_rows_returning_ids
from eventguard.events.models import Event
from eventguard.incidents import grouping
from eventguard.incidents import service as incidents
from eventguard.incidents.models import Incident
from eventguard.noise import inhibition, transient
from eventguard.noise import service as noise
from eventguard.plans import service as plans
from eventguard.plans.schemas import PlanSpec

Submission = wave.Submission  # one request's parsed alerts: what callers hand to ingest_many


@dataclass
class IngestResult:
    batch_id: int
    accepted: int
    incident_ids: list[int] = field(default_factory=list)
    fingerprints: list[str] = field(default_factory=list)


def ingest(
    *,
    db: Session,
    event: Event,
    batch: ParsedBatch,
    source: str,
    clock: Clock,
    integration_id: int | None = None,
) -> IngestResult:
    """Accept one request's alerts for ``event``. On return everything is flushed; commit before 2xx."""
    submission = Submission(batch=batch, source=source, integration_id=integration_id)
    return ingest_many(db=db, event=event, submissions=[submission], clock=clock)[0]


def ingest_many(
    *, db: Session, event: Event, submissions: Sequence[Submission], clock: Clock
) -> list[IngestResult]:
    """Accept several requests' alerts for ``event`` in one transaction (group commit), as if they had
    come one after the other in this order; one result per submission. The caller commits."""
    now = clock.now()
    batch_ids = insert_rows_returning_ids(
        db,
        alert_batch_table,
        [
            {
                "event_id": event.id,
                "integration_id": s.integration_id,
                "source": s.source,
                "received_at": now,
                "alert_count": len(s.batch.alerts),
                "payload": s.batch.raw,
            }
            for s in submissions
        ],
    )
    spec = plans.get_active_plan(db=db, event_id=event.id)
    phase = plans.current_phase(spec=spec, at=now)
    noise_rules = noise.rules_for(db=db, event_id=event.id, spec=spec, at=now)
    inhibitor = inhibition.inhibitor_for(db=db, event_id=event.id, spec=spec)
    results = [
        IngestResult(
            batch_id=batch_id,
            accepted=len(s.batch.alerts),
            fingerprints=[a.fingerprint for a in s.batch.alerts],
        )
        for s, batch_id in zip(submissions, batch_ids, strict=True)
    ]
    acks: list[tuple[str, AlertIn]] = []
    per_submission: list[list[wave.Item]] = []
    for index, (submission, batch_id) in enumerate(zip(submissions, batch_ids, strict=True)):
        source, mine = submission.source, []
        for a in submission.batch.alerts:
            if a.action == "acknowledge":
                acks.append((source, a))
                continue
            found = classify(spec, labels=a.labels, annotations=a.annotations, source=source, phase=phase)
            item = wave.Item(a, found, batch_id=batch_id, submission=index)
            if noise_rules and a.status == "firing":
                item.held_by = noise_rules.match(a.labels)
            mine.append(item)
        per_submission.append(wave.latest_per_fingerprint(mine))
    for wave_items in _waves(per_submission):
        _apply_wave(
            db=db,
            event=event,
            spec=spec,
            phase=phase,
            items=wave_items,
            submissions=submissions,
            results=results,
            clock=clock,
            inhibitor=inhibitor,
        )
    for source, ack in acks:
        _acknowledge_by_fingerprint(
            db=db,
            event_id=event.id,
            fingerprint=ack.fingerprint,
            actor=Actor(type="system", name=source),
            clock=clock,
        )
    return results


def _waves(per_submission: list[list[wave.Item]]) -> list[list[wave.Item]]:
    """Split the requests' alerts into waves in which every fingerprint occurs once: a fingerprint
    that several requests report with a changing status is applied once per change, in their order
    (fired, then resolved, is then an incident that went to monitoring, as if the requests had come
    one by one). Reports that repeat the status — an Alertmanager pair sending the same group — are
    merged into one (each still counts as a receipt and gets the incident in its answer). Each wave
    is sorted, so every transaction locks and inserts rows in one order (no deadlocks on PostgreSQL)."""
    waves: list[dict[str, wave.Item]] = []
    last_wave: dict[str, int] = {}
    for items in per_submission:
        for item in items:
            fingerprint = item.alert_in.fingerprint
            index = last_wave.get(fingerprint)
            if index is not None:
                earlier = waves[index][fingerprint]
                if earlier.alert_in.status == item.alert_in.status:
                    item.repeats += earlier.repeats
                    item.also |= {earlier.submission, *earlier.also}
                    waves[index][fingerprint] = item  # the later report has the last word
                    continue
                index += 1
            else:
                index = 0
            if index == len(waves):
                waves.append({})
            waves[index][fingerprint] = item
            last_wave[fingerprint] = index
    return [[found[key] for key in sorted(found)] for found in waves]


def _apply_wave(
    *,
    db: Session,
    event: Event,
    spec: PlanSpec,
    phase: str | None,
    items: list[wave.Item],
    submissions: Sequence[Submission],
    results: list[IngestResult],
    clock: Clock,
    inhibitor: inhibition.Inhibitor,
) -> None:
    """Lock order, the same in every transaction (no deadlocks on PostgreSQL): the alerts seen before,
    by fingerprint; then the groups' incidents, by group key; then the incidents alerts join by
    inhibition, by id; then new alerts are inserted, already pointing at their incident (one write
    per new alert, no second UPDATE)."""
    group_by = spec.event.group_by
    existing = wave.lock_existing(db, event.id, [item.alert_in.fingerprint for item in items])
    groups: dict[str, list[wave.Item]] = {}
    for item in items:
        item.row = existing.get(item.alert_in.fingerprint)
        if item.row is not None:
            wave.seen(item, item.row)
        key = item.row.group_key if item.row is not None else group_key(group_by, item.alert_in.labels)
        groups.setdefault(key, []).append(item)
    wave_noise.hold_flapping(db, event.id, spec, items)
    ordered = sorted(groups.items())
    found = grouping.open_for_groups(db=db, event_id=event.id, group_keys=[key for key, _ in ordered])
    joined = wave_noise.inhibit(db, event.id, inhibitor, ordered, found, submissions)
    linked: list[tuple[Incident, list[wave.Item], Actor]] = []
    incident_of: dict[int, int] = {}  # id() of an item -> its group's incident
    held_now: list[tuple[Incident, noise.Rule]] = []
    for key, members in ordered:
        members = [m for m in members if id(m) not in joined]
        if not members:
            continue
        actor = Actor(type="system", name=submissions[min(m.submission for m in members)].source)
        incident = found.get(key)
        if incident is None:
            firing = [m for m in members if m.alert_in.status == "firing"]
            if not firing:
                continue  # resolved alerts of a group without an open incident: nothing to tell
            incident = grouping.open_or_reopen(
                db=db,
                event=event,
                spec=spec,
                phase=phase,
                group_key=key,
                opening=wave.opening(firing, actor.name, clock),
                clock=clock,
                actor=actor,
            )
            if incident is None:
                continue
            if all(m.held_by is not None for m in firing):
                held_now.append((incident, min(firing, key=wave.level_of).held_by))  # type: ignore[arg-type]
            elif (rule := transient.rule_for(spec, incident.level)) is not None:
                held_now.append((incident, rule))  # pages only if it still fires after the wait
        incident_of.update((id(m), incident.id) for m in members)
        linked.append((incident, members, actor))
    wave_noise.link_joined(items, joined, submissions, linked, incident_of)
    wave.insert_fresh(db, event.id, [i for i in items if i.row is None], group_by, clock, incident_of)
    for item in items:
        if item.was_new:  # inserted with this report's values and its incident already
            continue
        assert item.row is not None
        wave.update_row(item.row, item, clock)
        incident_id = incident_of.get(id(item))
        if incident_id is not None and (item.row.incident_id is None or item.alert_in.status == "firing"):
            item.row.incident_id = incident_id
    db.flush()
    for incident, rule in held_now:
        noise.hold(db=db, incident=incident, rule=rule, clock=clock)
    if joined:
        joins = [
            (i.alert_in.fingerprint, joined[id(i)].id, i.inhibited_by.key)
            for i in items
            if i.inhibited_by is not None and id(i) in joined
        ]
        inhibition.remember(db=db, event_id=event.id, joins=joins, at=clock.now())
    wave_noise.track_flapping(db, event.id, spec, items, clock)
    wave_noise.noise_outcome(db, linked, clock, spec)
    for incident, members, actor in linked:
        change = wave.change(incident, members, wave.tally(incident, members))
        grouping.apply_change(db=db, incident=incident, spec=spec, change=change, clock=clock, actor=actor)
        for index in sorted({i for m in members for i in (m.submission, *m.also)}):
            if incident.id not in results[index].incident_ids:
                results[index].incident_ids.append(incident.id)


def counts(*, db: Session, incident_id: int) -> tuple[int, int]:
    """(all alerts, firing alerts) of an incident."""
    firing = func.coalesce(func.sum(case((Alert.status == "firing", 1), else_=0)), 0)
    total, firing_now = db.execute(select(func.count(), firing).where(Alert.incident_id == incident_id)).one()
    return int(total), int(firing_now)


def move_alerts(*, db: Session, from_incident_id: int, to_incident_id: int) -> tuple[int, int]:
    """Re-point one incident's alerts at another (merge); returns the target's new counts."""
    db.execute(update(Alert).where(Alert.incident_id == from_incident_id).values(incident_id=to_incident_id))
    return counts(db=db, incident_id=to_incident_id)


def follow_merge(db: Session, *, source: Incident, target: Incident) -> None:
    """The ``incident_merged`` hook (``eventguard.domains``): the source's alerts move to the target,
    whose counts follow."""
    target.alert_count, target.firing_count = move_alerts(
        db=db, from_incident_id=source.id, to_incident_id=target.id
    )


def firing_labels(*, db: Session, incident_id: int) -> Sequence[dict[str, str]]:
    """The labels of the incident's firing alerts (noise's hold sweep asks)."""
    query = select(Alert.labels).where(Alert.incident_id == incident_id, Alert.status == "firing")
    return db.scalars(query).all()


def list_alerts(*, db: Session, incident_id: int, limit: int = 200) -> Sequence[Alert]:
    query = select(Alert).where(Alert.incident_id == incident_id).order_by(Alert.id).limit(limit)
    return db.scalars(query).all()


def _acknowledge_by_fingerprint(
    *, db: Session, event_id: int, fingerprint: str, actor: Actor, clock: Clock
) -> None:
    # PagerDuty semantics: an acknowledge for an alert that is not open is dropped.
    row = db.scalar(select(Alert).where(Alert.event_id == event_id, Alert.fingerprint == fingerprint))
    if row is None or row.incident_id is None or row.status != "firing":
        return
    incident = incidents.get(db=db, incident_id=row.incident_id, for_update=True)
    if incident.status in (incidents.S.triggered,):
        incidents.acknowledge(db=db, incident=incident, actor=actor, clock=clock)
