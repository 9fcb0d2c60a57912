"""Quantitative assessment from history (定量分析法): for each scenario and each category of the plan,
what past events' incidents and drills say, proposed as likelihood and impact with the evidence.

The events counted are every other event whose plan has a ``live`` phase that ended before now;
an event-hour is one hour of such a live phase. Merged incidents are left out (their target counts).

- ``frequency_per_event_hour``: real incidents (drills excluded) / event-hours.
- ``mean_duration_minutes``: mean of resolved − opened over real incidents that were resolved.
- ``mtta_minutes``: mean of acknowledged − opened over real incidents and drills that were acknowledged.
- ``mttr_minutes``: mean of restored − opened, restored being ``monitoring`` (service back, watched)
  or else resolved, over real incidents and drills that got there.
- likelihood from the frequency: 0 → 1, < 0.05 → 2, < 0.2 → 3, < 0.5 → 4, otherwise 5.
- impact from the most severe level seen (level 1 → 5, 2 → 4, 3 → 3; with no incident, the
  scenario's default level, 3 for a category), plus 1 when the mean duration is 30 minutes or more
  (at most 5).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from statistics import fmean
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from eventguard.audit.service import Actor, record
from eventguard.clock import Clock
from eventguard.errors import InvalidInput, NotFound
from eventguard.events import service as events
from eventguard.i18n import Message
from eventguard.incidents.models import Incident
from eventguard.incidents.queries import list_incidents
from eventguard.plans import service as plans
from eventguard.plans.schemas import PlanSpec
from eventguard.risks import service
from eventguard.risks.models import RiskAssessment
from eventguard.risks.schemas import AssessmentDecision, RiskUpdate

LONG_DURATION = timedelta(minutes=30)


@dataclass
class Proposal:
    subject: str
    metrics: dict[str, Any]
    likelihood: int
    impact: int
    evidence: list[dict[str, Any]] = field(default_factory=list)
    risks: list[str] = field(default_factory=list)


@dataclass
class _History:
    event_hours: float
    events: list[str]
    incidents: list[tuple[str, Incident]]  # (event slug, incident)


def _history(db: Session, event_id: int, now: datetime) -> _History:
    hours, slugs, found = 0.0, [], []
    for event in events.list_events(db=db):
        if event.id == event_id:
            continue
        try:
            spec = plans.get_active_plan(db=db, event_id=event.id)
        except NotFound:
            continue
        live = [phase for phase in spec.event.phases if phase.name == "live" and phase.end <= now]
        if not live:
            continue
        hours += sum((phase.end - phase.start).total_seconds() / 3600 for phase in live)
        slugs.append(event.slug)
        items, _total = list_incidents(db=db, event_id=event.id, until=now, limit=1_000_000)
        found += [(event.slug, item) for item in items if item.merged_into_id is None]
    found.sort(key=lambda pair: (pair[1].opened_at, pair[1].id))
    return _History(hours, slugs, found)


def _minutes(values: list[timedelta]) -> float | None:
    return round(fmean(value.total_seconds() for value in values) / 60, 2) if values else None


def likelihood_for(frequency: float) -> int:
    for limit, score in ((0.0, 1), (0.05, 2), (0.2, 3), (0.5, 4)):
        if frequency <= limit if limit == 0.0 else frequency < limit:
            return score
    return 5


def _propose(subject: str, items: list[tuple[str, Incident]], hours: float, default_level: int) -> Proposal:
    real = [incident for _slug, incident in items if not incident.is_drill]
    every = [incident for _slug, incident in items]
    frequency = round(len(real) / hours, 4) if hours else 0.0
    duration = _minutes([i.resolved_at - i.opened_at for i in real if i.resolved_at])
    mtta = _minutes([i.acknowledged_at - i.opened_at for i in every if i.acknowledged_at])
    restored = [(i.monitoring_at or i.resolved_at) for i in every]
    mttr = _minutes([moment - i.opened_at for i, moment in zip(every, restored, strict=True) if moment])
    worst = min((i.level for i in every), default=default_level)
    impact = 6 - max(1, min(3, worst))
    if duration is not None and duration >= LONG_DURATION.total_seconds() / 60:
        impact = min(5, impact + 1)
    metrics = {
        "incidents": len(real),
        "drills": len(every) - len(real),
        "event_hours": round(hours, 2),
        "frequency_per_event_hour": frequency,
        "mean_duration_minutes": duration,
        "mtta_minutes": mtta,
        "mttr_minutes": mttr,
        "worst_level": worst if every else None,
    }
    evidence = [
        {
            "event": slug,
            "incident_id": incident.id,
            "title": incident.title,
            "level": incident.level,
            "is_drill": incident.is_drill,
            "opened_at": incident.opened_at.isoformat(),
            "acknowledged_at": incident.acknowledged_at.isoformat() if incident.acknowledged_at else None,
            "resolved_at": incident.resolved_at.isoformat() if incident.resolved_at else None,
        }
        for slug, incident in items
    ]
    return Proposal(subject, metrics, likelihood_for(frequency), impact, evidence)


def proposals(*, db: Session, event_id: int, spec: PlanSpec, now: datetime) -> list[Proposal]:
    """One proposal per scenario and per category of the plan (see the module's rules)."""
    past = _history(db, event_id, now)
    register = service.list_risks(db=db, event_id=event_id, sort="key", descending=False)
    found = []
    for scenario in spec.scenarios:
        items = [pair for pair in past.incidents if pair[1].scenario_id == scenario.id]
        proposal = _propose(f"scenario:{scenario.id}", items, past.event_hours, scenario.default_level)
        proposal.risks = [r.key for r in register if r.scenario_id == scenario.id]
        found.append(proposal)
    for category in service.categories(spec):
        items = [pair for pair in past.incidents if pair[1].kind == category]
        proposal = _propose(f"category:{category}", items, past.event_hours, 3)
        proposal.risks = [r.key for r in register if r.category == category]
        found.append(proposal)
    for proposal in found:
        proposal.metrics["events"] = past.events
    return found


def decide(
    *, db: Session, event_id: int, spec: PlanSpec, data: AssessmentDecision, actor: Actor, clock: Clock
) -> RiskAssessment:
    """Accept a proposal for a risk, or override it with other values and a reason; both the proposed
    and the decided values are kept, and the risk takes the decided ones (with its history)."""
    proposal = next(
        (
            p
            for p in proposals(db=db, event_id=event_id, spec=spec, now=clock.now())
            if p.subject == data.subject
        ),
        None,
    )
    if proposal is None:
        raise InvalidInput(
            Message("No proposal for {subject}.", {"subject": data.subject}), code="unknown_subject"
        )
    entry = service.get_risk(db=db, event_id=event_id, key=data.risk)
    if data.decision == "override":
        if data.likelihood is None or data.impact is None or not (data.reason or "").strip():
            raise InvalidInput(
                Message("An override needs likelihood, impact and a reason."), code="override_incomplete"
            )
        likelihood, impact = data.likelihood, data.impact
    else:
        likelihood, impact = proposal.likelihood, proposal.impact
    row = RiskAssessment(
        event_id=event_id,
        risk_id=entry.id,
        subject=proposal.subject,
        proposed_likelihood=proposal.likelihood,
        proposed_impact=proposal.impact,
        likelihood=likelihood,
        impact=impact,
        decision="overridden" if data.decision == "override" else "accepted",
        reason=data.reason,
        metrics=proposal.metrics,
        evidence=proposal.evidence,
        decided_by=actor.name,
        decided_at=clock.now(),
    )
    db.add(row)
    db.flush()
    reason = data.reason or f"{row.decision} {proposal.subject}"
    service.update_risk(
        db=db,
        entry=entry,
        spec=spec,
        actor=actor,
        clock=clock,
        kind="assessment",
        data=RiskUpdate(likelihood=likelihood, impact=impact, reason=reason),
    )
    record(
        db=db,
        actor=actor,
        action="risk.assessment",
        target_type="risk",
        target_id=f"{event_id}/{entry.key}",
        after={
            "subject": proposal.subject,
            "decision": row.decision,
            "proposed": [row.proposed_likelihood, row.proposed_impact],
            "decided": [likelihood, impact],
            "reason": data.reason,
        },
        clock=clock,
    )
    return row


def list_decisions(*, db: Session, event_id: int) -> list[RiskAssessment]:
    return list(
        db.scalars(
            select(RiskAssessment).where(RiskAssessment.event_id == event_id).order_by(RiskAssessment.id)
        )
    )
