"""The dashboard: every event's phase and countdown, its open incidents with their notification SLA,
and who is on call now for each team."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from eventguard.alerts.journal import process as journal
from eventguard.deps import ClockDep, DbSession
from eventguard.events import service as events
from eventguard.events.models import Event
from eventguard.i18n import t
from eventguard.incidents import queries
from eventguard.incidents.models import Incident
from eventguard.notify import service as notify
from eventguard.notify.models import NotificationSla
from eventguard.oncall import service as oncall
from eventguard.plans import service as plans
from eventguard.plans.schemas import PlanSpec
from eventguard.web.console import SignedIn, duration
from eventguard.web.pages import page_language, render

router = APIRouter(include_in_schema=False)


def countdown(spec: PlanSpec, now: datetime, lang: str) -> str:
    """ "live ends in 5 h 12 min", "prep starts in 3 d 2 h", or that the event is over."""
    phases = sorted(spec.event.phases, key=lambda phase: phase.start)
    for phase in phases:
        name = t(phase.name, lang)
        if phase.start <= now < phase.end:
            return t("{phase} ends in {duration}", lang, phase=name, duration=duration(phase.end - now, lang))
        if now < phase.start:
            left = duration(phase.start - now, lang)
            return t("{phase} starts in {duration}", lang, phase=name, duration=left)
    return t("Every phase of the event is over.", lang)


@dataclass(frozen=True)
class SlaState:
    """One notified role's state: met, breached, or pending with the time left."""

    target: str
    state: str
    text: str
    deadline: datetime | None = None


def sla_state(row: NotificationSla, now: datetime, lang: str) -> SlaState:
    if row.met:
        return SlaState(row.target, "met", t("met", lang), row.deadline)
    if row.met is False or row.deadline <= now:
        return SlaState(row.target, "breached", t("breached", lang), row.deadline)
    left = duration(row.deadline - now, lang)
    return SlaState(row.target, "pending", t("pending, {duration} left", lang, duration=left), row.deadline)


def sla_summary(states: list[SlaState], lang: str) -> SlaState:
    """The worst state of an incident's notified roles (of the pending ones, the nearest deadline)."""
    if not states:
        return SlaState("", "none", t("no notification SLA", lang))
    breached = [item for item in states if item.state == "breached"]
    pending = sorted(
        (item for item in states if item.state == "pending"),
        key=lambda item: item.deadline or datetime.max.replace(tzinfo=UTC),
    )
    return (breached or pending or states)[0]


def _incident_row(db: Session, incident: Incident, now: datetime, lang: str) -> dict[str, Any]:
    states = [sla_state(row, now, lang) for row in notify.sla_rows(db=db, incident_id=incident.id)]
    return {
        "incident": incident,
        "age": duration(now - incident.opened_at, lang),
        "sla": sla_summary(states, lang),
    }


def _event_card(db: Session, event: Event, now: datetime, lang: str) -> dict[str, Any]:
    spec = plans.get_active_plan(db=db, event_id=event.id)
    open_incidents, _total = queries.list_incidents(db=db, event_id=event.id, open_only=True, limit=200)
    rows = sorted(
        (_incident_row(db, incident, now, lang) for incident in open_incidents),
        key=lambda row: (row["incident"].level, row["incident"].opened_at),
    )
    people = {person.id: person.name for person in spec.people}
    on_call = []
    for team in spec.teams:
        now_on = oncall.team_on_call(db=db, event_id=event.id, spec=spec, team_id=team.id, at=now)
        on_call.append(
            {"team": team, "people": [people.get(p, p) for p in now_on.people], "source": now_on.source}
        )
    return {
        "event": event,
        "spec": spec,
        "phase": plans.current_phase(spec=spec, at=now),
        "countdown": countdown(spec, now, lang),
        "levels": {level: [r for r in rows if r["incident"].level == level] for level in (1, 2, 3)},
        "count": len(rows),
        "on_call": on_call,
    }


@router.get("/", response_class=HTMLResponse)
def dashboard(request: Request, db: DbSession, clock: ClockDep, principal: SignedIn) -> Response:
    """Every event: phase and countdown, open incidents by level with age and SLA, who is on call."""
    lang, now = page_language(request), clock.now()
    cards = [_event_card(db, event, now, lang) for event in events.list_events(db=db)]
    lag = journal.lag(db=db, clock=clock)
    threshold = request.app.state.settings.journal_lag_warning_seconds
    intake = {"lag": lag, "late": lag.oldest_age > threshold, "threshold": threshold}
    context = {"user": principal.user, "cards": cards, "now": now, "intake": intake}
    return render(request, "dashboard.html", context)
