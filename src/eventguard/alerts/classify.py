"""Classification: the plan's rules turn an alert into a scenario, a level and affected core functions."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from functools import lru_cache

from eventguard.plans.schemas import ClassificationRule, PlanSpec

MAX_GROUP_KEY = 400
# Labels the drills domain puts on the alerts a drill injects (journal kind "drill"): the run they
# belong to (its alerts group apart from real ones) and the source each stands in for (rules with
# ``sources`` classify it as that source).
DRILL_LABEL = "eventguard_drill"
DRILL_SOURCE_LABEL = "eventguard_drill_source"
DRILL_SOURCE = "drill"


@dataclass(frozen=True)
class Classification:
    level: int
    scenario_id: str | None = None
    kind: str | None = None
    core_functions: tuple[str, ...] = field(default_factory=tuple)
    rule_index: int | None = None  # position of the matching rule within its scenario


@lru_cache(maxsize=1024)
def _regex(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


def _label(labels: dict[str, str], annotations: dict[str, str], name: str) -> str | None:
    return labels.get(name, annotations.get(name))


def rule_matches(
    rule: ClassificationRule,
    *,
    labels: dict[str, str],
    annotations: dict[str, str],
    source: str,
    phase: str | None,
) -> bool:
    """Equality and anchored-regex matches on labels (annotations as fallback), source and phase."""
    if source == DRILL_SOURCE:
        source = labels.get(DRILL_SOURCE_LABEL, source)
    if rule.sources and source not in rule.sources:
        return False
    if rule.phases and phase not in rule.phases:
        return False
    for name, expected in rule.match.items():
        if _label(labels, annotations, name) != expected:
            return False
    for name, pattern in rule.match_re.items():
        value = _label(labels, annotations, name)
        if value is None or _regex(pattern).fullmatch(value) is None:
            return False
    return True


def classify(
    spec: PlanSpec,
    *,
    labels: dict[str, str],
    annotations: dict[str, str],
    source: str,
    phase: str | None,
) -> Classification:
    """The first matching rule, scenarios in plan order; unmatched alerts get the event's default level."""
    for scenario in spec.scenarios:
        for index, rule in enumerate(scenario.classification):
            if rule_matches(rule, labels=labels, annotations=annotations, source=source, phase=phase):
                functions = tuple(rule.core_functions or scenario.core_functions)
                return Classification(rule.level, scenario.id, scenario.kind, functions, index)
    return Classification(level=spec.event.default_level)


def group_key(group_by: list[str], labels: dict[str, str]) -> str:
    """Alerts with equal values of the event's ``group_by`` labels belong to one incident."""
    key = ",".join(f"{name}={labels.get(name, '')}" for name in sorted(group_by)) or "all"
    if DRILL_LABEL in labels:
        key = f"{DRILL_LABEL}={labels[DRILL_LABEL]}|{key}"
    if len(key) > MAX_GROUP_KEY:
        return "sha256:" + hashlib.sha256(key.encode("utf-8")).hexdigest()
    return key
