"""The probes' rules: which probes run now (the plan's ``monitoring`` in the current phase), what a
result changes (status, failures in a row, the ring of results), when an alert is raised and
resolved (through the intake journal, in the same transaction), pausing, pushed signals, and the
readiness item "all probes green". Keyword-only functions taking the session; they never commit."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from eventguard.alerts.journal.internal import append_alerts
from eventguard.audit.service import Actor
from eventguard.audit.service import record as audit_record
from eventguard.clock import Clock
from eventguard.errors import InvalidInput, NotFound
from eventguard.events import service as events
from eventguard.events.models import Event
from eventguard.i18n import Message
from eventguard.plans import service as plans
from eventguard.plans.schemas import (
    HeartbeatProbe,
    MetricProbe,
    MonitoringRule,
    ParticipationProbe,
    PlanSpec,
)
from eventguard.probes.checks import Outcome, Signals
from eventguard.probes.format import KIND
from eventguard.probes.models import DOWN, RESULTS_KEPT, UNKNOWN, UP, ProbeResult, ProbeState

DEFAULT_ALERTNAME = "ProbeFailed"


@dataclass(frozen=True)
class ActiveProbe:
    """A probe of an event's plan that runs in the current phase."""

    event_id: int
    state_id: int
    probe: MonitoringRule
    phase: str | None
    paused: bool

    @property
    def key(self) -> tuple[int, str]:
        return (self.event_id, self.probe.id)


def probe_of(spec: PlanSpec, probe_id: str) -> MonitoringRule | None:
    return next((probe for probe in spec.monitoring if probe.id == probe_id), None)


def runs_in(probe: MonitoringRule, phase: str | None) -> bool:
    return not probe.phases or phase in probe.phases


def _states(db: Session, event_id: int) -> dict[str, ProbeState]:
    query = select(ProbeState).where(ProbeState.event_id == event_id)
    return {state.probe_id: state for state in db.scalars(query)}


def ensure_states(*, db: Session, event_id: int, spec: PlanSpec, clock: Clock) -> dict[str, ProbeState]:
    """The state row of every probe of ``spec`` (made when missing), by probe id."""
    states = _states(db, event_id)
    for probe in spec.monitoring:
        if probe.id not in states:
            state = ProbeState(
                event_id=event_id, probe_id=probe.id, created_at=clock.now(), changed_at=clock.now()
            )
            db.add(state)
            states[probe.id] = state
    db.flush()
    return states


def active_probes(*, db: Session, clock: Clock) -> list[ActiveProbe]:
    """Every event's probes that run now (in the current phase), with their state rows."""
    found: list[ActiveProbe] = []
    now = clock.now()
    for event in events.list_events(db=db):
        try:
            spec = plans.get_active_plan(db=db, event_id=event.id)
        except NotFound:
            continue
        if not spec.monitoring:
            continue
        phase = plans.current_phase(spec=spec, at=now)
        states = ensure_states(db=db, event_id=event.id, spec=spec, clock=clock)
        for probe in spec.monitoring:
            if runs_in(probe, phase):
                state = states[probe.id]
                found.append(ActiveProbe(event.id, state.id, probe, phase, state.paused))
    return found


def signals_of(state: ProbeState) -> Signals:
    return Signals(beat_at=state.beat_at, value=state.value, value_at=state.value_at, since=state.created_at)


def signals_by_state(*, db: Session, state_ids: list[int]) -> dict[int, Signals]:
    """The pushed signals (heartbeat, value) of these probe states."""
    if not state_ids:
        return {}
    query = select(ProbeState).where(ProbeState.id.in_(state_ids))
    return {state.id: signals_of(state) for state in db.scalars(query)}


def _labels(probe: MonitoringRule) -> dict[str, str]:
    return {"alertname": DEFAULT_ALERTNAME, "probe": probe.id, "probe_kind": probe.kind, **probe.labels}


def _alert(
    event_id: int, probe: MonitoringRule, outcome: Outcome, firing: bool, now: datetime
) -> dict[str, Any]:
    target = getattr(probe, "target", None) or getattr(probe, "host", None) or getattr(probe, "name", "")
    alert: dict[str, Any] = {
        "title": f"Probe {probe.id} failing: {outcome.detail}" if firing else f"Probe {probe.id} recovered",
        "status": "firing" if firing else "resolved",
        "labels": _labels(probe),
        "annotations": {"detail": outcome.detail, "target": str(target)},
        "fingerprint": f"probe:{event_id}:{probe.id}",
    }
    alert["starts_at" if firing else "ends_at"] = now.isoformat()
    if isinstance(target, str) and target.startswith(("http://", "https://")):
        alert["url"] = target
    return alert


def _ring_insert(db: Session) -> Any:
    table = ProbeResult.__table__
    dialect = postgresql if db.get_bind().dialect.name == "postgresql" else sqlite
    statement = dialect.insert(table)
    return statement.on_conflict_do_update(
        index_elements=["state_id", "slot"],
        set_={
            "seq": statement.excluded.seq,
            "checked_at": statement.excluded.checked_at,
            "ok": statement.excluded.ok,
            "latency_ms": statement.excluded.latency_ms,
            "detail": statement.excluded.detail,
        },
    )


@dataclass(frozen=True)
class Recorded:
    probe: ActiveProbe
    outcome: Outcome
    checked_at: datetime


def record_outcomes(*, db: Session, results: Sequence[Recorded]) -> list[tuple[str, str]]:
    """Write the results (state, ring slot) and journal an alert where a probe starts or stops
    failing; returns (probe id, "firing"/"resolved") of the alerts raised."""
    if not results:
        return []
    ids = sorted({item.probe.state_id for item in results})
    states = {state.id: state for state in db.scalars(select(ProbeState).where(ProbeState.id.in_(ids)))}
    rows, raised = [], []
    for item in results:
        state = states.get(item.probe.state_id)
        if state is None or state.paused:  # removed, or paused while it was running
            continue
        probe, outcome, now = item.probe.probe, item.outcome, item.checked_at
        state.seq += 1
        rows.append(
            {
                "state_id": state.id,
                "slot": state.seq % RESULTS_KEPT,
                "seq": state.seq,
                "checked_at": now,
                "ok": outcome.ok,
                "latency_ms": outcome.latency_ms,
                "detail": outcome.detail,
            }
        )
        state.checked_at, state.latency_ms, state.detail = now, outcome.latency_ms, outcome.detail
        if outcome.ok:
            state.failures = 0
            status = UP
        else:
            state.failures += 1
            status = DOWN if state.failures >= probe.fail_after else state.status
        if status != state.status:
            state.status, state.changed_at = status, now
        if status == DOWN and not state.firing:
            state.firing = True
            append_alerts(
                db=db,
                event_id=state.event_id,
                kind=KIND,
                alerts=[_alert(state.event_id, probe, outcome, True, now)],
                received_at=now,
            )
            raised.append((probe.id, "firing"))
        elif status == UP and state.firing:
            state.firing = False
            append_alerts(
                db=db,
                event_id=state.event_id,
                kind=KIND,
                alerts=[_alert(state.event_id, probe, outcome, False, now)],
                received_at=now,
            )
            raised.append((probe.id, "resolved"))
    if rows:
        db.execute(_ring_insert(db), rows)
    return raised


# -- reading, pausing, pushed signals


@dataclass(frozen=True)
class ProbeView:
    probe: MonitoringRule
    state: ProbeState
    runs_now: bool
    results: list[ProbeResult]


def results_of(*, db: Session, state_id: int, limit: int = RESULTS_KEPT) -> list[ProbeResult]:
    """The newest results of a probe, oldest first."""
    query = (
        select(ProbeResult)
        .where(ProbeResult.state_id == state_id)
        .order_by(ProbeResult.seq.desc())
        .limit(limit)
    )
    return list(reversed(db.scalars(query).all()))


def overview(*, db: Session, event: Event, clock: Clock, with_results: bool = True) -> list[ProbeView]:
    """Every probe of the event's plan with its state (and newest results), in plan order."""
    spec = plans.get_active_plan(db=db, event_id=event.id)
    phase = plans.current_phase(spec=spec, at=clock.now())
    states = ensure_states(db=db, event_id=event.id, spec=spec, clock=clock)
    views = []
    for probe in spec.monitoring:
        state = states[probe.id]
        results = results_of(db=db, state_id=state.id) if with_results else []
        views.append(ProbeView(probe, state, runs_in(probe, phase), results))
    return views


def _state(db: Session, event: Event, probe_id: str, clock: Clock) -> tuple[MonitoringRule, ProbeState]:
    spec = plans.get_active_plan(db=db, event_id=event.id)
    probe = probe_of(spec, probe_id)
    if probe is None:
        raise NotFound(
            Message("The plan of {event} has no probe {probe}.", {"event": event.slug, "probe": probe_id}),
            code="probe_not_found",
        )
    return probe, ensure_states(db=db, event_id=event.id, spec=spec, clock=clock)[probe.id]


def view_of(
    *, db: Session, event: Event, probe_id: str, clock: Clock, with_results: bool = True
) -> ProbeView:
    """One probe with its state (and newest results); 404 when the plan has no such probe."""
    probe, state = _state(db, event, probe_id, clock)
    phase = plans.current_phase(spec=plans.get_active_plan(db=db, event_id=event.id), at=clock.now())
    results = results_of(db=db, state_id=state.id) if with_results else []
    return ProbeView(probe, state, runs_in(probe, phase), results)


def set_paused(
    *, db: Session, event: Event, probe_id: str, paused: bool, actor: Actor, clock: Clock
) -> ProbeState:
    """Pause (no checks, no alerts) or resume a probe; audited."""
    _probe, state = _state(db, event, probe_id, clock)
    if state.paused != paused:
        before = {"paused": state.paused}
        state.paused = paused
        state.paused_by = actor.name if paused else None
        state.paused_at = clock.now() if paused else None
        audit_record(
            db=db,
            actor=actor,
            action="probe.pause" if paused else "probe.resume",
            target_type="probe",
            target_id=state.id,
            before=before,
            after={"paused": paused, "probe": probe_id, "event": event.slug},
            clock=clock,
        )
    return state


def beat(*, db: Session, event_id: int, probe_id: str, clock: Clock) -> ProbeState:
    """A heartbeat of ``probe_id`` (a heartbeat probe of the event's plan) now."""
    event = events.get(db=db, event_id=event_id)
    probe, state = _state(db, event, probe_id, clock)
    if not isinstance(probe, HeartbeatProbe):
        raise InvalidInput(
            Message("Probe {probe} is not a heartbeat.", {"probe": probe_id}), code="not_a_heartbeat"
        )
    state.beat_at = clock.now()
    return state


def push_value(*, db: Session, event_id: int, probe_id: str, value: float, clock: Clock) -> ProbeState:
    """A value pushed to a metric_threshold or participation probe without a query."""
    event = events.get(db=db, event_id=event_id)
    probe, state = _state(db, event, probe_id, clock)
    if not isinstance(probe, MetricProbe | ParticipationProbe) or probe.query is not None:
        raise InvalidInput(
            Message("Probe {probe} takes no pushed values.", {"probe": probe_id}), code="not_a_pushed_probe"
        )
    state.value, state.value_at = value, clock.now()
    return state


# -- the readiness gate (hook "readiness_checks")


def readiness_checks(db: Session, *, event_id: int, now: datetime) -> list[dict[str, Any]]:
    """ "All probes are green": every probe of the plan not paused answered its last check well."""
    event = events.get(db=db, event_id=event_id)
    try:
        spec = plans.get_active_plan(db=db, event_id=event_id)
    except NotFound:
        return []
    states = _states(db, event_id)
    bad = []
    for probe in spec.monitoring:
        state = states.get(probe.id)
        if state is not None and state.paused:
            continue
        if state is None or state.status != UP:
            bad.append(f"{probe.id} ({state.status if state else UNKNOWN})")
    detail: Message | None = None
    if bad:
        detail = Message("Not green: {probes}.", {"probes": ", ".join(bad)})
    elif not spec.monitoring:
        detail = Message("The plan has no probes.")
    return [
        {
            "key": "probes.all_green",
            "group": "probes",
            "title": Message("All probes are green"),
            "ok": not bad and bool(spec.monitoring),
            "detail": detail,
            "fix_path": f"/events/{event.slug}/probes",
            "waivable": True,
        }
    ]
