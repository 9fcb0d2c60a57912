"""The incident state machine: triggered → acknowledged → mitigating → monitoring → resolved → reviewed."""

from __future__ import annotations

from eventguard.errors import Conflict
from eventguard.i18n import Message
from eventguard.incidents.models import IncidentStatus as S

ALLOWED: dict[S, frozenset[S]] = {
    S.triggered: frozenset({S.acknowledged, S.mitigating, S.monitoring, S.resolved}),
    S.acknowledged: frozenset({S.mitigating, S.monitoring, S.resolved}),
    S.mitigating: frozenset({S.monitoring, S.resolved}),
    # monitoring -> triggered/acknowledged/mitigating: the problem came back (a flapping alert).
    S.monitoring: frozenset({S.triggered, S.acknowledged, S.mitigating, S.resolved}),
    # resolved -> triggered: reopened by a returning alert instead of opening a duplicate.
    S.resolved: frozenset({S.reviewed, S.triggered}),
    S.reviewed: frozenset(),
}

# The moment each state was (last) entered is kept on the incident.
STAMPS: dict[S, str] = {
    S.acknowledged: "acknowledged_at",
    S.mitigating: "mitigating_at",
    S.monitoring: "monitoring_at",
    S.resolved: "resolved_at",
    S.reviewed: "reviewed_at",
}

OPEN_STATES = frozenset({S.triggered, S.acknowledged, S.mitigating, S.monitoring})


def check_transition(current: S, target: S) -> None:
    """Raise 409 ``illegal_transition`` unless ``current`` may move to ``target``."""
    if target not in ALLOWED[current]:
        raise Conflict(
            Message(
                "An incident cannot go from {current} to {target}.", {"current": current, "target": target}
            ),
            code="illegal_transition",
            details={
                "from": current.value,
                "to": target.value,
                "allowed": sorted(s.value for s in ALLOWED[current]),
            },
        )
