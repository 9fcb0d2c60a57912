"""The dashboard: every event's phase and countdown, whether it is paused, its open incidents with
their notification SLA, ETA and backup plans on, the health of its channels, who is on call now for
each team, and how far behind alert intake is."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from eventguard.alerts.journal import process as journal
from eventguard.comms.backups import plans as backup_plans
from eventguard.deps import ClockDep, DbSession
from eventguard.events import service as events
from eventguard.events.models import Event
from eventguard.i18n import t
from eventguard.incidents import queries
from eventguard.incidents import service as incidents
from eventguard.incidents.models import Incident
from eventguard.notify import channel_admin
from eventguard.notify import service as notify
from eventguard.notify.models import NotificationSla
from eventguard.oncall import service as oncall
from eventguard.plans import service as plans
from eventguard.plans.schemas import PlanSpec
from eventguard.web.console import SignedIn, duration, local_time
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


def _incident_row(
    db: Session, incident: Incident, spec: PlanSpec, now: datetime, lang: str, paused: bool
) -> dict[str, Any]:
    rows = notify.sla_rows(db=db, incident_id=incident.id, current_only=True)
    states = [sla_state(row, now, lang) for row in rows]
    names = {plan.id: plan.name.get(lang) for plan in spec.backup_plans}
    active = backup_plans.list_for_incident(db=db, incident_id=incident.id, active_only=True)
    display = getattr(incidents, "display_title", None)
    return {
        "incident": incident,
        "title": display(incident=incident, spec=spec, lang=lang) if display else incident.title,
        "age": duration(now - incident.opened_at, lang),
        "sla": sla_summary(states, lang),
        "eta": incident.eta,
        "backups": [names.get(a.backup_id, a.backup_id) for a in active],
        "paused": paused,
    }


def _pause(db: Session, event: Event) -> Any:
    state = getattr(incidents, "pause_state", None)  # the engine's (issue 12 section 1)
    return state(db=db, event_id=event.id) if state is not None else None


def _channel_words(lang: str) -> dict[str, str]:
    return {
        "ok": t("working", lang),
        "failing": t("failing", lang),
        "broken": t("broken (permanent error or key missing)", lang),
        "unused": t("not used yet", lang),
    }


def _channels(db: Session, event: Event, lang: str) -> list[dict[str, Any]]:
    """Each plan channel's health as one word: ok, failing (last error after last success), unused."""
    found = []
    for channel in channel_admin.list_channels(db=db, event=event):
        if channel.permanent_failure or not channel.secret_configured:
            state = "broken"
        elif channel.last_error_at and (
            channel.last_success_at is None or channel.last_error_at > channel.last_success_at
        ):
            state = "failing"
        elif channel.last_success_at:
            state = "ok"
        else:
            state = "unused"
        found.append({"channel": channel, "state": state, "text": _channel_words(lang)[state]})
    return found


def _event_card(db: Session, event: Event, now: datetime, lang: str) -> dict[str, Any]:
    spec = plans.get_active_plan(db=db, event_id=event.id)
    open_incidents, _total = queries.list_incidents(db=db, event_id=event.id, open_only=True, limit=200)
    pause = _pause(db, event)
    paused_by = getattr(pause, "incident_id", None)
    rows = sorted(
        (
            _incident_row(db, incident, spec, now, lang, pause is not None and paused_by == incident.id)
            for incident in open_incidents
        ),
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
        "pause": pause,
        "channels": _channels(db, event, lang),
    }


@router.get("/", response_class=HTMLResponse)
def dashboard(request: Request, db: DbSession, clock: ClockDep, principal: SignedIn) -> Response:
    """Every event: phase and countdown, open incidents by level with age and SLA, who is on call."""
    lang, now = page_language(request), clock.now()
    cards, planless = [], []
    for event in events.list_events(db=db):  # an event whose plan failed to apply has none yet
        if plans.newest_number(db=db, slug=event.slug) is None:
            planless.append(event)
        else:
            cards.append(_event_card(db, event, now, lang))
    lag = journal.lag(db=db, clock=clock)
    threshold = request.app.state.settings.journal_lag_warning_seconds
    intake = {"lag": lag, "late": lag.oldest_age > threshold, "threshold": threshold}
    context = {
        "user": principal.user,
        "cards": cards,
        "planless": planless,
        "now": now,
        "intake": intake,
        "local_time": local_time,
    }
    return render(request, "dashboard.html", context)
