"""What noise control does to one wave of alert intake: flapping re-fires held and tracked,
inhibition joining alerts to a more severe incident, and the holds of silences and maintenance
windows counted on each incident (or released)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session

from eventguard.alerts import wave
from eventguard.audit.service import Actor
from eventguard.clock import Clock
from eventguard.incidents.models import Incident
from eventguard.noise import flapping, inhibition, transient
from eventguard.noise import service as noise
from eventguard.plans.schemas import PlanSpec


def hold_flapping(db: Session, event_id: int, spec: PlanSpec, items: list[wave.Item]) -> None:
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


def track_flapping(db: Session, event_id: int, spec: PlanSpec, items: list[wave.Item], clock: Clock) -> None:
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


def inhibit(
    db: Session,
    event_id: int,
    inhibitor: inhibition.Inhibitor,
    ordered: list[tuple[str, list[wave.Item]]],
    found: dict[str, Incident],
    submissions: Sequence[wave.Submission],
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


def link_joined(
    items: list[wave.Item],
    joined: dict[int, Incident],
    submissions: Sequence[wave.Submission],
    linked: list[tuple[Incident, list[wave.Item], Actor]],
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


def noise_outcome(
    db: Session, linked: list[tuple[Incident, list[wave.Item], Actor]], clock: Clock, spec: PlanSpec
) -> None:
    """What the silences and windows did to each incident of the wave: held alerts counted (and
    explained on its timeline), and a held incident that an unheld firing alert joins released —
    except one waiting out its transient time, unless a level that pages at once joins it."""
    held = noise.held_ids(db=db, incident_ids=[i.id for i, members, _ in linked if unheld_firing(members)])
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


def unheld_firing(members: list[wave.Item]) -> bool:
    return any(m.alert_in.status == "firing" and m.held_by is None for m in members)
