"""Alert intake: store every accepted alert durably, dedup by fingerprint, classify by the plan,
group into incidents. Keyword-only functions taking the session; the caller commits."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import case, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from eventguard.alerts.classify import Classification, classify, group_key
from eventguard.alerts.formats.base import AlertIn, ParsedBatch
from eventguard.alerts.models import Alert, alert_batch_table, alert_table
from eventguard.audit.service import Actor
from eventguard.clock import Clock
from eventguard.db.bulk import insert_rows, insert_rows_returning_ids
from eventguard.events.models import Event
from eventguard.incidents import grouping
from eventguard.incidents import service as incidents
from eventguard.incidents.grouping import GroupChange, Opening
from eventguard.incidents.models import Incident
from eventguard.noise import flapping, inhibition, transient
from eventguard.noise import service as noise
from eventguard.plans import service as plans
from eventguard.plans.schemas import PlanSpec

CHUNK = 500  # bound on bind parameters per query (SQLite allows 32,766)
EVIDENCE_ALERTS = 50


@dataclass
class IngestResult:
    batch_id: int
    accepted: int
    incident_ids: list[int] = field(default_factory=list)
    fingerprints: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Submission:
    """One request's parsed alerts, as received from one integration."""

    batch: ParsedBatch
    source: str
    integration_id: int | None = None


@dataclass
class _Item:
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
    per_submission: list[list[_Item]] = []
    for index, (submission, batch_id) in enumerate(zip(submissions, batch_ids, strict=True)):
        source, mine = submission.source, []
        for a in submission.batch.alerts:
            if a.action == "acknowledge":
                acks.append((source, a))
                continue
            found = classify(spec, labels=a.labels, annotations=a.annotations, source=source, phase=phase)
            item = _Item(a, found, batch_id=batch_id, submission=index)
            if noise_rules and a.status == "firing":
                item.held_by = noise_rules.match(a.labels)
            mine.append(item)
        per_submission.append(_latest_per_fingerprint(mine))
    for wave in _waves(per_submission):
        _apply_wave(
            db=db,
            event=event,
            spec=spec,
            phase=phase,
            items=wave,
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


def _waves(per_submission: list[list[_Item]]) -> list[list[_Item]]:
    """Split the requests' alerts into waves in which every fingerprint occurs once: a fingerprint
    that several requests report with a changing status is applied once per change, in their order
    (fired, then resolved, is then an incident that went to monitoring, as if the requests had come
    one by one). Reports that repeat the status — an Alertmanager pair sending the same group — are
    merged into one (each still counts as a receipt and gets the incident in its answer). Each wave
    is sorted, so every transaction locks and inserts rows in one order (no deadlocks on PostgreSQL)."""
    waves: list[dict[str, _Item]] = []
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
    return [[wave[key] for key in sorted(wave)] for wave in waves]


def _apply_wave(
    *,
    db: Session,
    event: Event,
    spec: PlanSpec,
    phase: str | None,
    items: list[_Item],
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
    existing = _lock_existing(db, event.id, [item.alert_in.fingerprint for item in items])
    groups: dict[str, list[_Item]] = {}
    for item in items:
        item.row = existing.get(item.alert_in.fingerprint)
        if item.row is not None:
            _seen(item, item.row)
        key = item.row.group_key if item.row is not None else group_key(group_by, item.alert_in.labels)
        groups.setdefault(key, []).append(item)
    _hold_flapping(db, event.id, spec, items)
    ordered = sorted(groups.items())
    found = grouping.open_for_groups(db=db, event_id=event.id, group_keys=[key for key, _ in ordered])
    joined = _inhibit(db, event.id, inhibitor, ordered, found, submissions)
    linked: list[tuple[Incident, list[_Item], Actor]] = []
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
                opening=_opening(firing, actor.name, clock),
                clock=clock,
                actor=actor,
            )
            if incident is None:
                continue
            if all(m.held_by is not None for m in firing):
                held_now.append((incident, min(firing, key=_level_of).held_by))  # type: ignore[arg-type]
            elif (rule := transient.rule_for(spec, incident.level)) is not None:
                held_now.append((incident, rule))  # pages only if it still fires after the wait
        incident_of.update((id(m), incident.id) for m in members)
        linked.append((incident, members, actor))
    _link_joined(items, joined, submissions, linked, incident_of)
    _insert_fresh(db, event.id, [i for i in items if i.row is None], group_by, clock, incident_of)
    for item in items:
        if item.was_new:  # inserted with this report's values and its incident already
            continue
        assert item.row is not None
        _update_row(item.row, item, clock)
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
    _track_flapping(db, event.id, spec, items, clock)
    _noise_outcome(db, linked, clock, spec)
    for incident, members, actor in linked:
        change = _change(incident, members, _tally(incident, members))
        grouping.apply_change(db=db, incident=incident, spec=spec, change=change, clock=clock, actor=actor)
        for index in sorted({i for m in members for i in (m.submission, *m.also)}):
            if incident.id not in results[index].incident_ids:
                results[index].incident_ids.append(incident.id)


def _level_of(item: _Item) -> int:
    return item.classification.level


def _hold_flapping(db: Session, event_id: int, spec: PlanSpec, items: list[_Item]) -> None:
    """A re-fire of a flapping alert is held like a silenced one (it paged once already)."""
    settings = spec.noise.flapping
    if settings is None:
        return
    refires = [
        i
        for i in items
        if i.row is not None
        and i.alert_in.status == "firing"
        and i.previous_status == "resolved"
        and i.held_by is None
    ]
    if not refires:
        return
    now_flapping = flapping.flapping_now(
        db=db, event_id=event_id, fingerprints=[i.alert_in.fingerprint for i in refires]
    )
    rule = noise.Rule("flapping", flapping.KEY, flapping.describe(settings), ())
    for item in refires:
        if item.alert_in.fingerprint in now_flapping:
            item.held_by = rule


def _track_flapping(db: Session, event_id: int, spec: PlanSpec, items: list[_Item], clock: Clock) -> None:
    if spec.noise.flapping is None:
        return
    changes = [
        flapping.Change(
            fingerprint=i.alert_in.fingerprint,
            status=i.alert_in.status,
            incident_id=i.row.incident_id,
            first_seen=i.row.first_received_at,
            level=i.classification.level,
        )
        for i in items
        if i.row is not None and i.previous_status is not None and i.previous_status != i.alert_in.status
    ]
    flapping.track(db=db, event_id=event_id, spec=spec, changes=changes, clock=clock)


def _inhibit(
    db: Session,
    event_id: int,
    inhibitor: inhibition.Inhibitor,
    ordered: list[tuple[str, list[_Item]]],
    found: dict[str, Incident],
    submissions: Sequence[Submission],
) -> dict[int, Incident]:
    """id() of an item -> the more severe incident it joins: a firing alert that would open an
    incident and that an inhibition rule selects, or a later report of an alert that joined one."""
    if not inhibitor:
        return {}
    sticky = inhibition.joined_incidents(
        db=db,
        event_id=event_id,
        fingerprints=[m.alert_in.fingerprint for _, members in ordered for m in members if m.row is not None],
    )
    targets: dict[int, int] = {}
    for key, members in ordered:
        for item in members:
            joined_id = sticky.get(item.alert_in.fingerprint)
            if joined_id is not None and item.row is not None and item.row.incident_id == joined_id:
                targets[id(item)] = joined_id
                continue
            if item.alert_in.status != "firing" or item.held_by is not None or key in found:
                continue  # resolved, held, or its group's incident is open (joining it pages nobody)
            if submissions[item.submission].source == "drill":
                continue  # a drill's alert never joins a real incident
            join = inhibitor.match(
                labels=item.alert_in.labels,
                level=item.classification.level,
                scenario_id=item.classification.scenario_id,
                core_functions=item.classification.core_functions,
            )
            if join is not None:
                targets[id(item)] = join.incident.id
                item.inhibited_by = noise.Rule("inhibition", join.key, join.description, ())
    locked = inhibition.lock(db=db, incident_ids=list(targets.values()))
    return {item: locked[incident_id] for item, incident_id in targets.items() if incident_id in locked}


def _link_joined(
    items: list[_Item],
    joined: dict[int, Incident],
    submissions: Sequence[Submission],
    linked: list[tuple[Incident, list[_Item], Actor]],
    incident_of: dict[int, int],
) -> None:
    """The joined alerts become members of the incident they joined (one entry per incident)."""
    for item in items:
        incident = joined.get(id(item))
        if incident is None:
            continue
        incident_of[id(item)] = incident.id
        entry = next((e for e in linked if e[0].id == incident.id), None)
        if entry is None:
            linked.append((incident, [item], Actor(type="system", name=submissions[item.submission].source)))
        else:
            entry[1].append(item)


def _noise_outcome(
    db: Session, linked: list[tuple[Incident, list[_Item], Actor]], clock: Clock, spec: PlanSpec
) -> None:
    """What the silences and windows did to each incident of the wave: held alerts counted (and
    explained on its timeline), and a held incident that an unheld firing alert joins released —
    except one waiting out its transient time, unless a level that pages at once joins it."""
    held = noise.held_ids(db=db, incident_ids=[i.id for i, members, _ in linked if _unheld_firing(members)])
    for incident, members, _actor in linked:
        by_rule: dict[str, tuple[noise.Rule, list[str]]] = {}
        for member in members:
            rule = member.held_by or member.inhibited_by
            if rule is not None:
                by_rule.setdefault(rule.key, (rule, []))[1].append(member.alert_in.fingerprint)
        noise.record(db=db, incident=incident, held=by_rule, clock=clock)
        if incident.id in held:
            joined = next(m for m in members if m.alert_in.status == "firing" and m.held_by is None)
            level = min(incident.level, *(m.classification.level for m in members if m.held_by is None))
            if transient.waiting(db=db, incident_id=incident.id) and transient.rule_for(spec, level):
                continue
            reason = f"alert {joined.alert_in.fingerprint} that no rule holds joined"
            noise.release(db=db, incident=incident, reason=reason, clock=clock)


def _unheld_firing(members: list[_Item]) -> bool:
    return any(m.alert_in.status == "firing" and m.held_by is None for m in members)


def _seen(item: _Item, row: Alert) -> None:
    item.previous_status, item.incident_before = row.status, row.incident_id


def _latest_per_fingerprint(items: list[_Item]) -> list[_Item]:
    # Within one request the last word about a fingerprint wins; the earlier ones count as receipts.
    latest: dict[str, _Item] = {}
    for item in items:
        earlier = latest.get(item.alert_in.fingerprint)
        if earlier is not None:
            item.repeats += earlier.repeats
        latest[item.alert_in.fingerprint] = item
    return list(latest.values())


def _lock_existing(db: Session, event_id: int, fingerprints: Sequence[str]) -> dict[str, Alert]:
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


def _new_values(
    event_id: int, item: _Item, group_by: list[str], clock: Clock, incident_id: int | None
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


def _insert_fresh(
    db: Session,
    event_id: int,
    fresh: list[_Item],
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
    values = [_new_values(event_id, item, group_by, clock, incident_of.get(id(item))) for item in fresh]
    try:
        with db.begin_nested():
            insert_rows(db, alert_table, values)
    except IntegrityError:
        for item, row_values in zip(fresh, values, strict=True):
            _insert_or_lock(db, event_id, item, row_values)
        return
    for item, row_values in zip(fresh, values, strict=True):
        item.was_new, item.fresh_incident = True, row_values["incident_id"]


def _insert_or_lock(db: Session, event_id: int, item: _Item, values: dict[str, Any]) -> None:
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
        _seen(item, existing)


def _update_row(row: Alert, item: _Item, clock: Clock) -> None:
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


def _tally(incident: Incident, members: list[_Item]) -> tuple[int, int]:
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


def _change(incident: Incident, members: list[_Item], tally: tuple[int, int]) -> GroupChange:
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


def _opening(firing: list[_Item], source: str, clock: Clock) -> Opening:
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
