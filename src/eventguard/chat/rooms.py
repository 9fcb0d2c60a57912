"""War rooms of an incident: asked for (by the plan's levels, or by hand), who belongs in them (the
notified teams' responders, their on-call people, the incident's role holders) and the incident card."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from eventguard.audit import service as audit
from eventguard.audit.service import Actor
from eventguard.chat import apps
from eventguard.chat.models import WarRoom
from eventguard.chat.platforms import PLATFORMS
from eventguard.chat.platforms.base import Button, RoomCard
from eventguard.clock import Clock
from eventguard.errors import Conflict
from eventguard.i18n import Message, t
from eventguard.incidents import roles
from eventguard.incidents import service as incidents
from eventguard.incidents.models import Incident
from eventguard.oncall import service as oncall
from eventguard.plans.schemas import PersonTarget, PlanSpec, TeamTarget


def for_incident(*, db: Session, incident_id: int) -> Sequence[WarRoom]:
    return db.scalars(
        select(WarRoom).where(WarRoom.incident_id == incident_id).order_by(WarRoom.platform)
    ).all()


def by_chat(*, db: Session, platform: str, chat_id: str) -> WarRoom | None:
    return db.scalar(select(WarRoom).where(WarRoom.platform == platform, WarRoom.chat_id == chat_id))


def platforms_for(*, db: Session, incident: Incident, spec: PlanSpec) -> list[str]:
    """The platforms a room opens on: the plan's list, else every platform the event has an app for."""
    configured = [row.platform for row in apps.list_for_event(db=db, event_id=incident.event_id)]
    wanted = spec.war_rooms.platforms or configured
    return [platform for platform in wanted if platform in configured and platform in PLATFORMS]


def wanted_by_plan(incident: Incident, spec: PlanSpec) -> bool:
    policy = spec.war_rooms
    return incident.level in policy.levels and (policy.drills or not incident.is_drill) and incident.is_open


def request(
    *,
    db: Session,
    incident: Incident,
    spec: PlanSpec,
    actor: Actor,
    clock: Clock,
    platforms: Sequence[str] | None = None,
    by_hand: bool = False,
) -> list[WarRoom]:
    """Ask for the incident's rooms (the worker creates them); a room it already has is kept.
    By hand, an incident with no platform to open on is a clear 409."""
    chosen = list(platforms) if platforms else platforms_for(db=db, incident=incident, spec=spec)
    configured = {row.platform for row in apps.list_for_event(db=db, event_id=incident.event_id)}
    missing = [platform for platform in chosen if platform not in configured]
    if by_hand and (missing or not chosen):
        raise Conflict(
            Message(
                "No chat app is set up for {platforms}: set one up first (docs/chat.md).",
                {"platforms": ", ".join(missing) or "-"},
            ),
            code="chat_app_missing",
        )
    existing = {room.platform: room for room in for_incident(db=db, incident_id=incident.id)}
    made = []
    now = clock.now()
    for platform in chosen:
        if platform in existing or platform not in configured:
            continue
        title = incidents.display_title(incident=incident, spec=spec, lang="zh-CN")
        room = WarRoom(
            event_id=incident.event_id,
            incident_id=incident.id,
            platform=platform,
            status="pending",
            name=PLATFORMS[platform].room_name(incident.id, title, incident.is_drill),
            members=[],
            next_attempt_at=now,
            requested_by=actor.name,
            created_at=now,
        )
        db.add(room)
        made.append(room)
    db.flush()
    for room in made:
        audit.record(
            db=db,
            actor=actor,
            action="chat.war_room_requested",
            target_type="incident",
            target_id=incident.id,
            after={"platform": room.platform, "name": room.name},
            clock=clock,
        )
    return made


def wanted_people(*, db: Session, incident: Incident, spec: PlanSpec, at: datetime) -> list[str]:
    """Person ids who belong in the room: every responder (lead and members) of the teams the level
    notifies and who is on call for them, the people it notifies, and the incident's role holders."""
    found: list[str] = []
    level = spec.level(incident.level)
    for target in level.notify if level is not None else []:
        if isinstance(target, TeamTarget):
            team = spec.team(target.team)
            if team is None:
                continue
            found += [*([team.lead] if team.lead else []), *team.members]
            found += oncall.on_call_for_team(
                db=db, event_id=incident.event_id, spec=spec, team_id=team.id, at=at
            )
        elif isinstance(target, PersonTarget):
            found.append(target.person)
    found += [r.person_id for r in roles.list_roles(db=db, incident_id=incident.id) if r.person_id]
    known = {person.id for person in spec.people}
    return [person for person in dict.fromkeys(found) if person in known]


def card(*, incident: Incident, spec: PlanSpec, base_url: str, lang: str = "zh-CN") -> RoomCard:
    """The incident card: what it is, how bad, where it stands, and the buttons to act on it."""
    title = incidents.display_title(incident=incident, spec=spec, lang=lang)
    level = spec.level(incident.level)
    scenario = spec.scenario(incident.scenario_id) if incident.scenario_id else None
    lines = [
        t("Level: {level}", lang, level=f"P{incident.level}" + (f" {level.name.get(lang)}" if level else "")),
        t("Status: {status}", lang, status=t(incident.status.value, lang)),
    ]
    if scenario is not None:
        lines.append(t("Scenario: {name}", lang, name=scenario.name.get(lang)))
    if incident.is_drill:
        lines.insert(0, t("[DRILL] This is a drill.", lang))
    lines.append(
        t(
            "Commands: ack, update TEXT [eta 30m], level N REASON, role ROLE, backup ID, resolve, "
            "silence MATCHERS DURATION [COMMENT], silences, unsilence ID",
            lang,
        )
    )
    buttons = [
        Button("ack", t("Acknowledge", lang), "primary"),
        Button("resolve", t("Resolve", lang), "danger"),
    ]
    for backup_id in scenario.backup_plans if scenario else []:
        plan = next((p for p in spec.backup_plans if p.id == backup_id), None)
        if plan is not None:
            buttons.append(Button(f"backup:{plan.id}", t("Switch to {name}", lang, name=plan.name.get(lang))))
    return RoomCard(
        incident_id=incident.id,
        title=f"[P{incident.level}] #{incident.id} {title}",
        lines=lines,
        link=f"{base_url}/incidents/{incident.id}",
        buttons=buttons,
    )
