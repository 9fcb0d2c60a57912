"""Inhibition (Alertmanager's ``inhibit_rules``, adapted to levels, scenarios and core functions):
while a more severe incident is active, an alert the plan's rule selects as its target joins that
incident instead of opening (and paging) one of its own.

A rule's ``source`` selects the active incident (its level, scenario, core functions, the labels of
the alert that opened it), its ``target`` the alerts (classified level, scenario, core functions,
labels), and ``equal`` what both must share. The target must be less severe than the source.

Used while the journal is processed: :func:`inhibitor_for` once per batch (one query, only when the
plan has rules), :meth:`Inhibitor.match` per firing alert that would open an incident, and
:func:`joined_incidents` / :func:`remember` so that a joined alert's later reports (its resolve)
follow it to the incident it joined while that incident is open."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from eventguard.incidents.models import Incident, IncidentStatus
from eventguard.noise.matchers import Matcher, all_match
from eventguard.noise.models import InhibitedAlert, PagingHold
from eventguard.plans.schemas import InhibitRule, InhibitSource, InhibitTarget, LabelMatcher, PlanSpec

ACTIVE = (IncidentStatus.triggered, IncidentStatus.acknowledged, IncidentStatus.mitigating)
CHUNK = 500


@dataclass(frozen=True)
class Join:
    """An alert the rule ``rule_id`` sends to ``incident`` (its key and text explain it there)."""

    rule_id: str
    key: str
    incident: Incident
    description: str


@dataclass(frozen=True)
class _Compiled:
    rule: InhibitRule
    source_matchers: tuple[Matcher, ...]
    target_matchers: tuple[Matcher, ...]


def _built(items: Sequence[LabelMatcher]) -> tuple[Matcher, ...]:
    return tuple(Matcher.build(m.name, m.op, m.value) for m in items)


def opening_labels(incident: Incident) -> dict[str, str]:
    """The labels of the alert that opened the incident (empty for a declared one)."""
    alerts = (incident.evidence or {}).get("alerts") or []
    first = alerts[0] if alerts and isinstance(alerts[0], dict) else {}
    labels = first.get("labels") or {}
    return {str(k): str(v) for k, v in labels.items()} if isinstance(labels, dict) else {}


def _selects(
    selector: InhibitSource | InhibitTarget,
    matchers: tuple[Matcher, ...],
    *,
    level: int,
    scenario_id: str | None,
    core_functions: Sequence[str],
    labels: dict[str, str],
) -> bool:
    if selector.levels and level not in selector.levels:
        return False
    if selector.scenarios and scenario_id not in selector.scenarios:
        return False
    if selector.core_functions and not set(core_functions) & set(selector.core_functions):
        return False
    return all_match(matchers, labels)


def _equal(
    names: Sequence[str],
    source: Incident,
    source_labels: dict[str, str],
    *,
    scenario_id: str | None,
    core_functions: Sequence[str],
    labels: dict[str, str],
) -> bool:
    for name in names:
        if name == "scenario":
            if scenario_id is None or scenario_id != source.scenario_id:
                return False
        elif name == "core_functions":
            if not set(core_functions) & set(source.core_functions or []):
                return False
        elif labels.get(name, "") != source_labels.get(name, ""):  # Alertmanager: missing is empty
            return False
    return True


class Inhibitor:
    """The plan's rules and the event's active incidents that may inhibit, most severe first."""

    def __init__(self, rules: Sequence[InhibitRule] = (), sources: Sequence[Incident] = ()) -> None:
        self.rules = [
            _Compiled(rule, _built(rule.source.matchers), _built(rule.target.matchers)) for rule in rules
        ]
        self.sources = [(incident, opening_labels(incident)) for incident in sources]

    def __bool__(self) -> bool:
        return bool(self.rules)

    def match(
        self, *, labels: dict[str, str], level: int, scenario_id: str | None, core_functions: Sequence[str]
    ) -> Join | None:
        """The incident a firing alert of this classification joins, or None (it pages as usual)."""
        if not self.sources:
            return None
        for incident, source_labels in self.sources:
            if level <= incident.level:
                continue
            for compiled in self.rules:
                rule = compiled.rule
                if not _selects(
                    rule.source,
                    compiled.source_matchers,
                    level=incident.level,
                    scenario_id=incident.scenario_id,
                    core_functions=incident.core_functions or [],
                    labels=source_labels,
                ):
                    continue
                if not _selects(
                    rule.target,
                    compiled.target_matchers,
                    level=level,
                    scenario_id=scenario_id,
                    core_functions=core_functions,
                    labels=labels,
                ):
                    continue
                if not _equal(
                    rule.equal,
                    incident,
                    source_labels,
                    scenario_id=scenario_id,
                    core_functions=core_functions,
                    labels=labels,
                ):
                    continue
                text = (
                    f"inhibition rule {rule.id}: level-{level} alerts join incident #{incident.id} "
                    f"(level {incident.level}) instead of paging"
                )
                return Join(rule.id, f"inhibit:{rule.id}", incident, text)
        return None


def inhibitor_for(*, db: Session, event_id: int, spec: PlanSpec) -> Inhibitor:
    """The plan's inhibition rules with the event's active, unheld, real (not drill) incidents of a
    level some rule's source names (one query; none when the plan has no rules)."""
    rules = spec.noise.inhibit_rules
    if not rules:
        return Inhibitor()
    levels = sorted({level for rule in rules for level in rule.source.levels})
    query = (
        select(Incident)
        .where(
            Incident.event_id == event_id,
            Incident.status.in_(ACTIVE),
            Incident.merged_into_id.is_(None),
            Incident.is_drill.is_(False),
            Incident.level.in_(levels),
            ~select(PagingHold.incident_id)
            .where(PagingHold.incident_id == Incident.id, PagingHold.released_at.is_(None))
            .exists(),
        )
        .order_by(Incident.level, Incident.opened_at, Incident.id)
    )
    return Inhibitor(rules, list(db.scalars(query)))


def joined_incidents(*, db: Session, event_id: int, fingerprints: Sequence[str]) -> dict[str, int]:
    """fingerprint -> the active incident it joined by inhibition (only those still active)."""
    found: dict[str, int] = {}
    for start in range(0, len(fingerprints), CHUNK):
        query = (
            select(InhibitedAlert.fingerprint, InhibitedAlert.incident_id)
            .join(Incident, Incident.id == InhibitedAlert.incident_id)
            .where(
                InhibitedAlert.event_id == event_id,
                InhibitedAlert.fingerprint.in_(fingerprints[start : start + CHUNK]),
                Incident.status.in_(ACTIVE),
            )
        )
        found.update((fingerprint, incident_id) for fingerprint, incident_id in db.execute(query))
    return found


def lock(*, db: Session, incident_ids: Sequence[int]) -> dict[int, Incident]:
    """The joined incidents, locked in id order (after the groups' incidents: one lock order)."""
    if not incident_ids:
        return {}
    query = select(Incident).where(Incident.id.in_(sorted(set(incident_ids)))).order_by(Incident.id)
    return {incident.id: incident for incident in db.scalars(query.with_for_update())}


def remember(*, db: Session, event_id: int, joins: Sequence[tuple[str, int, str]], at: datetime) -> None:
    """Record (fingerprint, incident id, rule key) of the alerts that joined in this wave."""
    if not joins:
        return
    fingerprints = [fingerprint for fingerprint, _, _ in joins]
    existing: dict[str, InhibitedAlert] = {}
    for start in range(0, len(fingerprints), CHUNK):
        query = select(InhibitedAlert).where(
            InhibitedAlert.event_id == event_id,
            InhibitedAlert.fingerprint.in_(fingerprints[start : start + CHUNK]),
        )
        existing.update((row.fingerprint, row) for row in db.scalars(query))
    for fingerprint, incident_id, key in joins:
        row = existing.get(fingerprint)
        if row is None:
            db.add(
                InhibitedAlert(
                    event_id=event_id,
                    fingerprint=fingerprint,
                    incident_id=incident_id,
                    rule=key,
                    joined_at=at,
                )
            )
        else:
            row.incident_id, row.rule, row.joined_at = incident_id, key, at
