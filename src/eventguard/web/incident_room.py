"""The incident room as a command post: the header at a glance (level, status, time since start, the
notify-within countdown per required role, ETA, backups on, paused, war room), the timeline (waves
folded, filters, search), and a panel per job — actions, public updates, backup plans, legal
guidance, runbook, roles, notifications. The panels are rendered here for the page and again for the
live stream (``web.live``), so every form follows what others do without a reload."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from eventguard.auth.deps import Principal
from eventguard.auth.models import Role
from eventguard.chat import rooms as chat_rooms
from eventguard.clock import Clock
from eventguard.comms.backups import plans as backup_plans
from eventguard.comms.models import PublicStatus, UpdateState
from eventguard.comms.updates import approval, drafts
from eventguard.config import Settings
from eventguard.deps import ClockDep, DbSession, SettingsDep
from eventguard.errors import EventGuardError
from eventguard.events import service as events
from eventguard.i18n import t
from eventguard.incidents import queries, roles, runbook, timeline
from eventguard.incidents import service as incidents
from eventguard.incidents.lifecycle import ALLOWED
from eventguard.incidents.models import Incident, IncidentRole, IncidentStatus, TimelineEntry
from eventguard.notify import service as notify
from eventguard.notify.models import Delivery
from eventguard.oncall import service as oncall
from eventguard.plans import service as plans
from eventguard.plans.schemas import PlanSpec
from eventguard.web import csrf
from eventguard.web.console import SignedIn, duration, error_page, local_time, may, parse_id
from eventguard.web.dashboard import sla_state
from eventguard.web.pages import page_language, render, templates, translator
from eventguard.web.room_timeline import FILTER_NAMES, Describer, Row, rows

router = APIRouter(include_in_schema=False)

RoomPanel = Callable[[Request, Session, Incident], dict[str, Any]]
ROOM_PANELS: dict[str, RoomPanel] = {}


def room_panel(name: str) -> Callable[[RoomPanel], RoomPanel]:
    """Registers what another domain's panel in the room shows (``room_panels[name]`` in its
    template), read in the room's own session: one connection per request, however many panels."""

    def register(provide: RoomPanel) -> RoomPanel:
        ROOM_PANELS[name] = provide
        return provide

    return register


PANELS = ("actions", "comms", "backups", "tasks", "roles", "notifications")
"""The room's live panels: each is ``room/<name>.html``, re-sent by the stream when the incident moves."""


def delivery_flags(delivery: Delivery) -> list[str]:
    """What a reader of the room wants to know beyond the status: was it retried, is it an escalation."""
    flags = []
    if delivery.attempts > 1:
        flags.append("retried")
    if delivery.purpose == "escalation":
        flags.append("escalated")
    return flags


def pause_of(db: Session, incident: Incident) -> Any:
    """The event's open pause (``events.models.EventPause``), None when it runs; read through the
    incidents service (section 1 of issue 12 adds ``pause_state``)."""
    state = getattr(incidents, "pause_state", None)
    return state(db=db, event_id=incident.event_id) if state is not None else None


def title_of(incident: Incident, spec: PlanSpec, lang: str) -> str:
    """The title to show: the scenario's name in ``lang`` unless a commander renamed the incident."""
    display = getattr(incidents, "display_title", None)
    return str(display(incident=incident, spec=spec, lang=lang)) if display is not None else incident.title


def legal_of(incident: Incident, spec: PlanSpec) -> Any:
    """The scenario's legal guidance ({"zh-CN", "en"}), or None."""
    guidance = getattr(incidents, "legal_guidance", None)
    if guidance is not None:
        return guidance(incident=incident, spec=spec)
    scenario = spec.scenario(incident.scenario_id) if incident.scenario_id else None
    return scenario.legal if scenario is not None else None


def war_room_url(incident: Incident) -> str | None:
    """The incident's war-room link, once the war-room work gives incidents one."""
    value = getattr(incident, "war_room_url", None)
    return str(value) if value else None


def _describer(db: Session, incident: Incident, spec: PlanSpec, lang: str) -> Describer:
    updates = {u.id: u.title for u in drafts.list_for_incident(db=db, incident_id=incident.id)}
    return Describer(spec, lang, incident.opened_at, updates)


def row_html(request: Request, row: Row, describer: Describer, timezone: str) -> str:
    """One timeline row (an entry, or a notification wave) as the page shows it and the stream sends it."""
    lang = page_language(request)
    template = templates.get_template("room/row.html")
    return template.render(
        row=row, d=describer, t=translator(lang), lang=lang, tz=timezone, local_time=local_time
    )


def entry_html(request: Request, entry: TimelineEntry, timezone: str, describer: Describer) -> str:
    """A single new entry as a row of its own (the browser folds a notification into the wave above)."""
    kind = "wave" if entry.kind == "notification" else "entry"
    return row_html(request, Row(kind, [entry]), describer, timezone)


def _target_key(target: Any) -> str:
    """A plan notify target as notify keys its SLA rows: team:<id>:<role>, person:<id>, channel:<id>."""
    if hasattr(target, "team"):
        return f"team:{target.team}:{target.role}"
    if hasattr(target, "person"):
        return f"person:{target.person}"
    return f"channel:{target.channel}"


def _level_started(db: Session, incident: Incident) -> datetime:
    """When the current level's notify-within clock started: the last level change, else the opening."""
    changes = [e.at for e in timeline.entries(db=db, incident_id=incident.id) if e.kind == "level"]
    return max([incident.opened_at, *changes])


def _sla(db: Session, incident: Incident, spec: PlanSpec, clock: Clock, lang: str) -> list[dict[str, Any]]:
    """Every role the level requires to be notified, with its notify-within countdown until it is met:
    notify's SLA rows where it has opened them, else the plan's target with the level's clock."""
    describer = Describer(spec, lang, incident.opened_at)
    now = clock.now()
    rows = list(notify.sla_rows(db=db, incident_id=incident.id, current_only=True))
    level = spec.level(incident.level)
    planned = [_target_key(target) for target in level.notify] if level is not None else []
    found = []
    for key in dict.fromkeys([*planned, *(row.target.partition("#")[0] for row in rows)]):
        matching = [row for row in rows if row.target == key or row.target.startswith(key + "#")]
        for row in matching:
            state = sla_state(row, now, lang)
            label = describer.target(row.target)
            found.append({"label": label, "state": state.state, "text": state.text, "deadline": row.deadline})
        if not matching and level is not None:
            deadline = _level_started(db, incident) + level.notify_within
            if deadline > now:
                words = t("pending, {duration} left", lang, duration=duration(deadline - now, lang))
                state_name = "pending"
            else:
                words, state_name = t("breached", lang), "breached"
            label = describer.target(key)
            found.append({"label": label, "state": state_name, "text": words, "deadline": deadline})
    return found


def head_context(db: Session, clock: Clock, incident: Incident, lang: str) -> dict[str, Any]:
    """What the room's header shows at a glance."""
    event = events.get(db=db, event_id=incident.event_id)
    spec = plans.get_active_plan(db=db, event_id=event.id)
    functions = {function.id: function.name.get(lang) for function in spec.core_functions}
    scenario = spec.scenario(incident.scenario_id) if incident.scenario_id else None
    names = {plan.id: plan.name.get(lang) for plan in spec.backup_plans}
    active = backup_plans.list_for_incident(db=db, incident_id=incident.id, active_only=True)
    pause = pause_of(db, incident)
    return {
        "incident": incident,
        "title": title_of(incident, spec, lang),
        "event": event,
        "spec": spec,
        "scenario": scenario.name.get(lang) if scenario else None,
        "scenario_spec": scenario,
        "functions": [functions.get(f, f) for f in incident.core_functions],
        "people": {person.id: person.name for person in spec.people},
        "roles": roles.list_roles(db=db, incident_id=incident.id),
        "age": duration(clock.now() - incident.opened_at, lang),
        "sla": _sla(db, incident, spec, clock, lang),
        "active_backups": [names.get(a.backup_id, a.backup_id) for a in active],
        "pause": pause,
        "paused_at": pause.paused_at if pause is not None else None,
        "war_room": war_room_url(incident),
        "war_rooms": chat_rooms.for_incident(db=db, incident_id=incident.id),
        "tz": event.timezone,
        "local_time": local_time,
        "now": clock.now(),
    }


def _tasks(db: Session, incident: Incident, spec: PlanSpec, clock: Clock, lang: str) -> list[dict[str, Any]]:
    """Runbook tasks with their owner as the team's name and who of it is on call now."""
    teams = {team.id: team.name.get(lang) for team in spec.teams}
    people = {person.id: person.name for person in spec.people}
    on_call: dict[str, list[str]] = {}
    found = []
    for task in runbook.list_tasks(db=db, incident_id=incident.id):
        team = task.owner_team
        if team not in on_call:
            ids = (
                oncall.on_call_for_team(
                    db=db, event_id=incident.event_id, spec=spec, team_id=team, at=clock.now()
                )
                if team in teams
                else []
            )
            on_call[team] = [people.get(p, p) for p in ids]
        found.append({"task": task, "team": teams.get(team, team), "on_call": on_call[team]})
    return found


def _updates(db: Session, incident: Incident, clock: Clock) -> dict[str, Any]:
    found = drafts.list_for_incident(db=db, incident_id=incident.id)
    return {
        "open": [u for u in found if u.state in drafts.OPEN_STATES],
        "done": [u for u in found if u.state not in drafts.OPEN_STATES],
        "needs_approval": approval.needs_approval(db=db, incident=incident, clock=clock),
    }


def _backups(db: Session, incident: Incident, spec: PlanSpec) -> list[dict[str, Any]]:
    scenario = spec.scenario(incident.scenario_id) if incident.scenario_id else None
    switched_on = backup_plans.list_for_incident(db=db, incident_id=incident.id, active_only=True)
    active = {a.backup_id for a in switched_on}
    found = [
        {
            "plan": plan,
            "active": plan.id in active,
            "suggested": scenario is not None and plan.id in scenario.backup_plans,
        }
        for plan in spec.backup_plans
    ]
    return sorted(found, key=lambda item: (not item["suggested"], not item["active"]))


def _merge_targets(db: Session, incident: Incident) -> list[Incident]:
    found, _total = queries.list_incidents(db=db, event_id=incident.event_id, open_only=True, limit=100)
    return [other for other in found if other.id != incident.id]


def panel_context(
    db: Session, clock: Clock, incident: Incident, lang: str, principal: Principal, token: str
) -> dict[str, Any]:
    """Everything the header and the live panels need (the page adds the timeline)."""
    head = head_context(db, clock, incident, lang)
    spec: PlanSpec = head["spec"]
    scenario = head["scenario_spec"]
    deliveries = notify.incident_deliveries(db=db, incident_id=incident.id)
    describer = Describer(spec, lang, incident.opened_at)
    announcement_templates = [tpl for tpl in spec.templates if tpl.purpose == "announcement"]
    if scenario is not None and scenario.templates:
        announcement_templates.sort(key=lambda tpl: tpl.id not in scenario.templates)
    return head | {
        "user": principal.user,
        "can_respond": may(principal, Role.responder),
        "can_command": may(principal, Role.commander),
        "csrf": token,
        "tasks": _tasks(db, incident, spec, clock, lang),
        "teams": {team.id: team.name.get(lang) for team in spec.teams},
        "deliveries": [
            {
                "delivery": row,
                "recipient": describer.person(row.recipient),
                "role": describer.target(row.role) if row.role else "—",
                "channel": row.channel_id or row.channel_kind,
                "flags": delivery_flags(row),
            }
            for row in deliveries
        ],
        "statuses": [s for s in IncidentStatus if s in ALLOWED[incident.status]],
        "role_names": list(IncidentRole),
        "updates": _updates(db, incident, clock),
        "public_statuses": list(PublicStatus),
        "announcement_templates": announcement_templates,
        "backups": _backups(db, incident, spec),
        "legal": legal_of(incident, spec),
        "merge_targets": _merge_targets(db, incident) if incident.is_open else [],
        "can_pause": hasattr(incidents, "pause") and hasattr(incidents, "resume"),
        "can_rename": hasattr(incidents, "rename"),
        "states": UpdateState,
    }


def head_html(request: Request, context: dict[str, Any]) -> str:
    """The room's header as the HTML fragment the live stream sends when the incident changed."""
    lang = page_language(request)
    return templates.get_template("room/head.html").render(context | {"t": translator(lang), "lang": lang})


def panel_html(request: Request, name: str, context: dict[str, Any]) -> str:
    lang = page_language(request)
    return templates.get_template(f"room/{name}.html").render(context | {"t": translator(lang), "lang": lang})


def room_page(
    request: Request,
    db: Session,
    clock: Clock,
    settings: Settings,
    principal: Principal,
    incident_id: str,
    error: str | None = None,
    status_code: int = 200,
    preview: dict[str, Any] | None = None,
) -> Response:
    """The room, or the 404 page for an unknown incident; ``error`` says why the last action failed,
    ``preview`` is a public update previewed in both languages (nothing saved)."""
    lang = page_language(request)
    try:
        incident = incidents.get(db=db, incident_id=parse_id(incident_id))
    except EventGuardError as exc:
        return error_page(request, exc.status_code, exc.render(lang))
    token = csrf.FormToken(request, settings)
    context = panel_context(db, clock, incident, lang, principal, token.value)
    describer = _describer(db, incident, context["spec"], lang)
    found = rows(timeline.entries(db=db, incident_id=incident.id))
    context |= {
        "rows": list(reversed(found)),  # newest first; the browser remembers a reader who wants oldest first
        "last_id": found[-1].last.id if found else 0,
        "d": describer,
        "filters": FILTER_NAMES,
        "evidence": json.dumps(incident.evidence, ensure_ascii=False, indent=2, default=str),
        "error": error,
        "preview": preview,
        "panels": PANELS,
        "room_panels": {name: provide(request, db, incident) for name, provide in ROOM_PANELS.items()},
    }
    return token.bind(render(request, "incident_room.html", context, status_code))


@router.get("/incidents/{incident_id}", response_class=HTMLResponse)
def incident_room(
    request: Request,
    incident_id: str,
    db: DbSession,
    clock: ClockDep,
    settings: SettingsDep,
    principal: SignedIn,
) -> Response:
    """The incident room (updates live through ``/incidents/{id}/events`` when JavaScript runs)."""
    return room_page(request, db, clock, settings, principal, incident_id)
